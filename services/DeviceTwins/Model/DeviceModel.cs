using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.Contracts.Wire;

namespace DaprIoT.DeviceTwins.Model;

/// <summary>
/// What the twin engine needs to know about one device type: its properties, how a reported state maps onto them,
/// and how a command looks on the wire. Everything else — ordering, commands, presence — is the same for every type.
/// </summary>
public abstract class DeviceModel
{
    /// <summary>The command that sets properties (<c>set</c> for every type so far).</summary>
    public const string SetCommand = "set";

    /// <summary>The command every type answers with its full state.</summary>
    public const string ReportCommand = "report";

    public abstract DeviceType Type { get; }

    /// <summary>The Dapr actor type of this device type.</summary>
    public abstract string ActorType { get; }

    public abstract IReadOnlyList<PropertySpec> Properties { get; }

    /// <summary>The properties a <c>state</c> message reports, in normal form.</summary>
    public abstract IReadOnlyDictionary<string, JsonElement> Reported(DeviceMessage state);

    /// <summary>A validated <c>telemetry</c> message as it goes on the bus.</summary>
    public abstract TelemetryReading Reading(string deviceId, DeviceMessage telemetry, DateTimeOffset receivedAt);

    /// <summary>The wire command for a command the twin issued (its id, name and values).</summary>
    public abstract DeviceCommand ToWire(string commandId, string name, IReadOnlyDictionary<string, JsonElement> values);

    /// <summary>
    /// True when a command turns something off (a bulb's power, a cooker's heater, a program's end). Such a command is
    /// retried until the device takes it: it is never given up as failed.
    /// </summary>
    public abstract bool TurnsOff(string name, IReadOnlyDictionary<string, JsonElement> values);

    /// <summary>
    /// The properties a command sets when the device takes it; the twin tracks them as desired values. A <c>set</c>
    /// sets its values; other commands say what they do (a program start turns the heater on at its target).
    /// </summary>
    public virtual IReadOnlyDictionary<string, JsonElement> Effects(string name, IReadOnlyDictionary<string, JsonElement> values) =>
        name == SetCommand ? values : new Dictionary<string, JsonElement>();

    /// <summary>The wire name of this type, as in topics and events (<c>lightbulb</c>, <c>sousvide</c>).</summary>
    public string TypeName => WireNames.Of(Type);

    public PropertySpec? Find(string name) => Properties.FirstOrDefault(p => p.Name == name);

    /// <summary>
    /// Checks a patch of desired values (property name → JSON value; absent or null means unchanged): every name must
    /// be a writable property and every value allowed. Errors name the field and the allowed values.
    /// </summary>
    public (Dictionary<string, JsonElement> Values, List<FieldError> Errors) Validate(IEnumerable<KeyValuePair<string, JsonElement?>> patch)
    {
        var values = new Dictionary<string, JsonElement>();
        var errors = new List<FieldError>();
        foreach (var (name, value) in patch)
        {
            if (value is not { } given || given.ValueKind == JsonValueKind.Null) continue;
            var spec = Find(name);
            if (spec is null || !spec.Writable)
            {
                errors.Add(new FieldError(name, spec is null ? $"a {TypeName} has no property '{name}'" : $"'{name}' is reported by the device and cannot be set"));
            }
            else if (spec.TryNormalize(given, out var normalized))
            {
                values[name] = normalized;
            }
            else
            {
                errors.Add(new FieldError(name, $"must be {spec.Allowed}"));
            }
        }

        if (values.Count == 0 && errors.Count == 0)
            errors.Add(new FieldError("patch", $"set at least one of {string.Join(", ", Properties.Where(p => p.Writable).Select(p => p.Name))}"));
        return (values, errors);
    }
}
