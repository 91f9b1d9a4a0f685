using System.Text.Json;
using DaprIoT.DeviceTwins.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace DaprIoT.DeviceTwins.Broker;

/// <summary>
/// The dynamic-security plugin's answers (<c>$CONTROL/dynamic-security/v1/response</c>, through the input binding
/// <c>{type}-broker-responses</c>): a device login the broker refused to create or delete is logged and counted, so a
/// provisioning that did not take shows. Every client of the control topic gets every answer; this service keeps those
/// whose <c>correlationData</c> names its device type. The delete that opens every provisioning answers "not found"
/// for a device that had no login, which is expected.
/// </summary>
public sealed partial class BrokerResponses(DeviceModel model, DeviceMetrics metrics, ILogger<BrokerResponses> logger)
{
    public static string BindingName(DeviceModel model) => $"{model.TypeName}-broker-responses";

    public async Task<IResult> HandleAsync(HttpRequest request)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            Log.Unreadable(logger, e.Message);
            return Results.Ok();
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("responses", out var responses) || responses.ValueKind != JsonValueKind.Array)
                return Results.Ok();
            var prefix = model.TypeName + "/";
            foreach (var response in responses.EnumerateArray())
            {
                if (Text(response, "correlationData") is not { } correlation || !correlation.StartsWith(prefix, StringComparison.Ordinal)) continue;
                if (Text(response, "error") is not { } error) continue;
                var command = Text(response, "command") ?? "?";
                if (command.StartsWith("delete", StringComparison.Ordinal) && error.EndsWith("not found", StringComparison.OrdinalIgnoreCase)) continue;
                metrics.BrokerControlError(model.TypeName, command);
                Log.Refused(logger, command, correlation[prefix.Length..], error);
            }
        }

        return Results.Ok();
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Error, Message = "The broker refused {Command} for device {Device}: {Error}")]
        public static partial void Refused(ILogger logger, string command, string device, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "An answer of the broker's dynamic-security plugin is not JSON: {Reason}")]
        public static partial void Unreadable(ILogger logger, string reason);
    }
}
