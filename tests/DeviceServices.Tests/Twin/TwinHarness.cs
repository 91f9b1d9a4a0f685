using System.Text;
using System.Text.Json;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;
using DaprIoT.DeviceTwins.Twin;
using DaprIoT.LightBulb;
using DaprIoT.SousVide;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.DeviceServices.Tests.Twin;

/// <summary>
/// One device's twin as its actor drives it: messages arrive as wire payloads, every operation is committed, and
/// the clock is a <see cref="FakeTimeProvider"/> that only moves when a test says so.
/// </summary>
internal sealed class TwinHarness
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private TwinHarness(DeviceModel model, TwinOptions options)
    {
        Model = model;
        Options = options;
        Engine = new TwinEngine(model, options, Twin);
    }

    public static TwinHarness ForBulb(TwinOptions? options = null) => new(new LightBulbModel(), options ?? new TwinOptions());

    public static TwinHarness ForCooker(TwinOptions? options = null) => new(new SousVideModel(), options ?? new TwinOptions());

    public FakeTimeProvider Time { get; } = new(Start);
    public DeviceModel Model { get; }
    public TwinOptions Options { get; }
    public TwinState Twin { get; } = new();
    public TwinEngine Engine { get; }
    public DateTimeOffset Now => Time.GetUtcNow();

    public PropertyRecord Property(string name) => Twin.Properties[name];

    public CommandRecord Command(string id) => Twin.Commands.Single(c => c.Id == id);

    /// <summary>A device → platform payload, decoded as the binding decodes it, then applied and committed.</summary>
    public TwinUpdate Receive(MessageKind kind, string payload)
    {
        var decoded = WireCodec.DecodeReport(Model.Type, kind, Encoding.UTF8.GetBytes(payload));
        Assert.True(decoded.Ok, $"test payload does not decode: {decoded.Error}");
        return Run(update => Engine.Apply(decoded.Value!, Now, update));
    }

    public TwinUpdate State(string payload) => Receive(MessageKind.State, payload);

    public TwinUpdate Bulb(uint boot, uint seq, bool power, int brightnessPct = 50, int colorTempK = 3000) =>
        State($$"""{"boot":{{boot}},"seq":{{seq}},"power":{{(power ? "true" : "false")}},"brightnessPct":{{brightnessPct}},"colorTempK":{{colorTempK}}}""");

    public TwinUpdate Cooker(uint boot, uint seq, bool heater, string targetTempC = "60.0", string waterTempC = "21.5") =>
        State($$"""{"boot":{{boot}},"seq":{{seq}},"heater":{{(heater ? "true" : "false")}},"targetTempC":{{targetTempC}},"waterTempC":{{waterTempC}}}""");

    public TwinUpdate Online(uint boot, uint seq, int heartbeatS = 10, string fw = "1.0.0") =>
        Receive(MessageKind.Presence, $$"""{"boot":{{boot}},"seq":{{seq}},"status":"online","heartbeatS":{{heartbeatS}},"fw":"{{fw}}"}""");

    /// <summary>The last will the device registered on connecting: <c>seq</c> 0.</summary>
    public TwinUpdate LastWill(uint boot) => Receive(MessageKind.Presence, $$"""{"boot":{{boot}},"seq":0,"status":"offline"}""");

    public TwinUpdate CleanOffline(uint boot, uint seq) => Receive(MessageKind.Presence, $$"""{"boot":{{boot}},"seq":{{seq}},"status":"offline"}""");

    public TwinUpdate Ack(uint boot, uint seq, string id) => Receive(MessageKind.Ack, $$"""{"boot":{{boot}},"seq":{{seq}},"id":"{{id}}","ok":true}""");

    public TwinUpdate Nack(uint boot, uint seq, string id, string error, string message) =>
        Receive(MessageKind.Ack, $$"""{"boot":{{boot}},"seq":{{seq}},"id":"{{id}}","ok":false,"error":"{{error}}","message":"{{message}}"}""");

    /// <summary>Telemetry arrived (the heartbeat); only its order reaches the twin.</summary>
    public TwinUpdate Heard(uint boot, uint seq) => Run(update => Engine.Heard(new MessageOrder(boot, seq), Now, update));

    /// <summary>A user's patch as the API takes it: validated first, then issued as a <c>set</c>.</summary>
    public (CommandRecord Command, TwinUpdate Update) Set(string patchJson)
    {
        var (values, errors) = Model.Validate(Patch(patchJson));
        Assert.Empty(errors);
        return Issue(DeviceModel.SetCommand, values);
    }

    public (CommandRecord Command, TwinUpdate Update) Issue(string name, IReadOnlyDictionary<string, JsonElement> values)
    {
        var update = new TwinUpdate();
        var command = Engine.Issue(name, values, Now, update);
        Engine.Commit(update);
        return (command, update);
    }

    public TwinUpdate RetryDue() => Run(update => Engine.RetryDue(Now, update));

    public TwinUpdate Run(Action<TwinUpdate> operation)
    {
        var update = new TwinUpdate();
        operation(update);
        Engine.Commit(update);
        return update;
    }

    /// <summary>A connected light bulb, on at 50 % and 3000 K, boot 1, its last message seq 2.</summary>
    public static TwinHarness OnlineBulb(TwinOptions? options = null)
    {
        var harness = ForBulb(options);
        harness.Online(1, 1);
        harness.Bulb(1, 2, power: true);
        return harness;
    }

    /// <summary>A connected cooker, heater off unless told, target 60.0 °C, boot 1, its last message seq 2.</summary>
    public static TwinHarness OnlineCooker(TwinOptions? options = null, bool heater = false)
    {
        var harness = ForCooker(options);
        harness.Online(1, 1);
        harness.Cooker(1, 2, heater);
        return harness;
    }

    public static IEnumerable<KeyValuePair<string, JsonElement?>> Patch(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject()
            .Select(p => new KeyValuePair<string, JsonElement?>(p.Name, p.Value.Clone()))
            .ToList();
    }

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static string Text(JsonElement? value) => value?.GetRawText() ?? "null";
}

internal static class SyncAssert
{
    public static void Property(TwinHarness twin, string name, string desired, string reported, SyncStatus status)
    {
        var property = twin.Property(name);
        Assert.Equal(desired, TwinHarness.Text(property.Desired));
        Assert.Equal(reported, TwinHarness.Text(property.Reported));
        Assert.Equal(status, property.Status);
    }
}
