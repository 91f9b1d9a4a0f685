using System.Globalization;
using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.Devices;

namespace DaprIoT.DeviceManagement.Api;

/// <summary>
/// The request bodies of the device API, checked field by field before anything reaches an actor: a body is a JSON
/// object of known fields (for the device's type), each of the right type and within range. Every fault is named in
/// <see cref="FieldErrors"/>; a body that is not a JSON object is named <c>body</c>.
/// </summary>
public static class DeviceRequests
{
    public const int MaxNameLength = 64;

    /// <summary>The longest cooking program the device protocol carries: 72 hours.</summary>
    public const int MaxProgramDurationS = 259_200;

    private const decimal MinTargetTempC = 20.0m;
    private const decimal MaxTargetTempC = 95.0m;

    /// <summary>A request body as JSON, or null with <c>body</c> named in <paramref name="errors"/>.</summary>
    public static async Task<JsonElement?> ReadAsync(HttpRequest request, FieldErrors errors, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return document.RootElement.Clone();
        }
        catch (JsonException error)
        {
            errors.Add("body", request.ContentLength == 0 ? "a JSON object is required" : $"is not valid JSON ({error.Message})");
            return null;
        }
    }

    /// <summary><c>{type, name}</c>.</summary>
    public static (DeviceKind? Kind, string? Name) Add(JsonElement body, FieldErrors errors)
    {
        if (!IsObject(body, errors, "type", "name")) return (null, null);
        DeviceKind? kind = null;
        if (!body.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || (kind = DeviceKind.Find(type.GetString())) is null)
        {
            errors.Add("type", $"must be one of {string.Join(", ", DeviceKind.All.Select(k => $"\"{k.Name}\""))}");
        }

        return (kind, Name(body, errors));
    }

    /// <summary><c>{name}</c>.</summary>
    public static string? Rename(JsonElement body, FieldErrors errors) => IsObject(body, errors, "name") ? Name(body, errors) : null;

    /// <summary>A light bulb's <c>{power?, brightnessPct?, colorTempK?}</c>; null values leave a property as it is.</summary>
    public static LightBulbDesired? LightBulbPatch(JsonElement patch, FieldErrors errors)
    {
        if (!IsPatch(DeviceKind.LightBulb, patch, errors)) return null;
        var desired = new LightBulbDesired(
            Bool(patch, "power", errors),
            Integer(patch, "brightnessPct", 0, 100, "%", errors),
            Integer(patch, "colorTempK", 2700, 6500, "K", errors));
        return errors.Any ? null : desired;
    }

    /// <summary>A cooker's <c>{heater?, targetTempC?}</c>; null values leave a property as it is.</summary>
    public static SousVideDesired? SousVidePatch(JsonElement patch, FieldErrors errors)
    {
        if (!IsPatch(DeviceKind.SousVide, patch, errors)) return null;
        var desired = new SousVideDesired(Bool(patch, "heater", errors), Temperature(patch, "targetTempC", required: false, errors));
        return errors.Any ? null : desired;
    }

    /// <summary><c>{targetTempC, durationS}</c>, both required.</summary>
    public static StartProgramRequest? Program(JsonElement body, FieldErrors errors)
    {
        if (!IsObject(body, errors, "targetTempC", "durationS")) return null;
        var target = Temperature(body, "targetTempC", required: true, errors);
        int? duration = null;
        if (!body.TryGetProperty("durationS", out var value) || value.ValueKind != JsonValueKind.Number
            || !value.TryGetInt32(out var seconds) || seconds is < 1 or > MaxProgramDurationS)
        {
            errors.Add("durationS", $"must be a whole number of seconds from 1 to {MaxProgramDurationS} (72 hours)");
        }
        else
        {
            duration = seconds;
        }

        return target is { } t && duration is { } d && !errors.Any ? new StartProgramRequest(t, d) : null;
    }

    private static bool IsPatch(DeviceKind kind, JsonElement patch, FieldErrors errors)
    {
        if (patch.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object");
            return false;
        }

        foreach (var property in patch.EnumerateObject().Where(p => !kind.WritableProperties.Contains(p.Name)))
        {
            errors.Add(property.Name, property.Name == "waterTempC"
                ? "'waterTempC' is reported by the device and cannot be set"
                : $"a {kind.Name} has no property '{property.Name}'");
        }

        if (!patch.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Null))
            errors.Add("body", $"set at least one of {string.Join(", ", kind.WritableProperties)}");
        // The known fields are checked too, so one answer names every fault.
        return true;
    }

    private static bool IsObject(JsonElement body, FieldErrors errors, params string[] fields)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object");
            return false;
        }

        foreach (var property in body.EnumerateObject().Where(p => !fields.Contains(p.Name)))
            errors.Add(property.Name, $"is not a field of this request (expected {string.Join(", ", fields)})");
        return true;
    }

    private static string? Name(JsonElement body, FieldErrors errors)
    {
        if (body.TryGetProperty("name", out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString()!.Trim() is { Length: > 0 and <= MaxNameLength } name)
        {
            return name;
        }

        errors.Add("name", $"must be 1 to {MaxNameLength} characters");
        return null;
    }

    private static bool? Bool(JsonElement patch, string field, FieldErrors errors)
    {
        if (!patch.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        errors.Add(field, "must be true or false");
        return null;
    }

    private static int? Integer(JsonElement patch, string field, int min, int max, string unit, FieldErrors errors)
    {
        if (!patch.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max) return number;
        errors.Add(field, $"must be a whole number from {min} to {max} {unit}");
        return null;
    }

    private static decimal? Temperature(JsonElement body, string field, bool required, FieldErrors errors)
    {
        var present = body.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null;
        if (!present && !required) return null;
        if (present && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var celsius)
            && celsius >= MinTargetTempC && celsius <= MaxTargetTempC && decimal.Round(celsius, 1) == celsius)
        {
            return celsius;
        }

        errors.Add(field, string.Create(CultureInfo.InvariantCulture,
            $"must be a number from {MinTargetTempC:0.0} to {MaxTargetTempC:0.0} °C in steps of 0.1"));
        return null;
    }
}
