using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace DaprIoT.Conformance.Tests.Actors;

/// <summary>Calls the ConformanceApp's Probe actor through a sidecar's actor API, as any Dapr client would.</summary>
public sealed class ProbeActorClient(HttpClient client)
{
    public sealed record Answer(HttpStatusCode Status, string Body);

    public async Task<Answer> CallAsync(string sidecarUrl, string actorId, string method, object? argument, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsync($"{sidecarUrl}/v1.0/actors/Probe/{actorId}/method/{method}",
            argument is null ? null : JsonContent.Create(argument), cancellationToken);
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Calls and expects 200, returning the JSON result.</summary>
    public async Task<JsonElement> CallOkAsync(string sidecarUrl, string actorId, string method, object? argument, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(sidecarUrl, actorId, method, argument, cancellationToken);
        Assert.True(answer.Status == HttpStatusCode.OK, $"Probe/{actorId}.{method} answered {(int)answer.Status}: {answer.Body}");
        return answer.Body.Length == 0 ? default : JsonDocument.Parse(answer.Body).RootElement.Clone();
    }
}
