using System.Text.Json;
using DaprIoT.TestSupport;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.DeviceServices.Tests.EndToEnd;

/// <summary>
/// What devices send that the platform must not take at face value: repeats and old messages, other devices'
/// topics, wrong passwords, and every invalid message of the contract's test vectors. The device here is an MQTT
/// client of the test's own, logged in with the device's credentials, so it can send exactly these bytes.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DeviceInputTests
{
    [Fact]
    public async Task Repeated_and_older_states_change_nothing_and_a_new_boot_starts_over()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "seq-", 1);
        await using var device = await MqttTestClient.ConnectAsync(platform.BrokerPort, "seq-1", "seq-1", credentials["seq-1"], ct);
        const string topic = "dapriot/lightbulb/seq-1/state";

        await device.PublishAsync(topic, State(boot: 5, seq: 10, brightness: 50), ct);
        var applied = await platform.TwinUntilAsync("lightbulb", "seq-1", t => Brightness(t) == 50, "(5, 10) is applied", ct);

        await device.PublishAsync(topic, State(boot: 5, seq: 10, brightness: 50), ct);   // a re-send
        await device.PublishAsync(topic, State(boot: 5, seq: 9, brightness: 10), ct);    // overtaken on the way
        await device.PublishAsync(topic, State(boot: 4, seq: 99, brightness: 20), ct);   // from an earlier boot
        await Eventually.UntilAsync(c => platform.MessagesCountedAsync("lightbulb", c, "kind=\"state\"", "outcome=\"duplicate\""),
            n => n >= 3, "the three old states are counted as duplicates", n => $"{n}", TimeSpan.FromSeconds(10), ct);
        var unchanged = await platform.LightBulb("seq-1").GetTwin();
        Assert.Equal(50, Brightness(unchanged));
        Assert.Equal(applied.Version, unchanged.Version);

        await device.PublishAsync(topic, State(boot: 6, seq: 1, brightness: 30), ct);
        await platform.TwinUntilAsync("lightbulb", "seq-1", t => Brightness(t) == 30, "(6, 1), a new boot, is applied", ct);
    }

    [Fact]
    public async Task The_broker_refuses_wrong_passwords_anonymous_clients_and_other_devices_topics()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var credentials = await platform.ProvisionAsync("lightbulb", "acl-", 2);

        var (wrong, refusal) = await MqttTestClient.TryConnectAsync(platform.BrokerPort, "acl-1", "acl-1", "not-its-password", ct);
        Assert.Null(wrong);
        Assert.NotNull(refusal);
        var (anonymous, _) = await MqttTestClient.TryConnectAsync(platform.BrokerPort, "someone", null, null, ct);
        Assert.Null(anonymous);
        var (borrowed, _) = await MqttTestClient.TryConnectAsync(platform.BrokerPort, "acl-2", "acl-1", credentials["acl-1"], ct);
        Assert.Null(borrowed);

        await using var device = await MqttTestClient.ConnectAsync(platform.BrokerPort, "acl-1", "acl-1", credentials["acl-1"], ct);
        Assert.False(await device.SubscribeAsync("dapriot/lightbulb/acl-2/cmd", ct));
        await device.PublishAsync("dapriot/lightbulb/acl-2/state", State(boot: 1, seq: 1, brightness: 66), ct);
        await device.PublishAsync("dapriot/sousvide/acl-1/state", """{"boot":1,"seq":2,"heater":true,"targetTempC":60.0,"waterTempC":20.0}""", ct);
        // Its own topic, after the forged ones on the same connection: once this is applied, the broker has dealt
        // with the others.
        await device.PublishAsync("dapriot/lightbulb/acl-1/state", State(boot: 1, seq: 3, brightness: 11), ct);
        await platform.TwinUntilAsync("lightbulb", "acl-1", t => Brightness(t) == 11, "acl-1's own state is applied", ct);

        Assert.Empty((await platform.LightBulb("acl-2").GetTwin()).Properties);
        Assert.False((await platform.SousVide("acl-1").GetTwin()).Provisioned);
        Assert.Equal(0, await platform.MessagesCountedAsync("lightbulb", ct, "kind=\"state\"", "outcome=\"rejected\""));
        Assert.Equal(0, await platform.MessagesCountedAsync("sousvide", ct, "kind=\"state\""));
    }

    [Fact]
    public async Task Every_invalid_device_message_of_the_contract_is_rejected_and_counted_by_its_error()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var bulb = await platform.ProvisionAsync("lightbulb", "bulb-", 1);
        var cooker = await platform.ProvisionAsync("sousvide", "cooker-", 1);
        await using var bulbDevice = await MqttTestClient.ConnectAsync(platform.BrokerPort, "bulb-1", "bulb-1", bulb["bulb-1"], ct);
        await using var cookerDevice = await MqttTestClient.ConnectAsync(platform.BrokerPort, "cooker-1", "cooker-1", cooker["cooker-1"], ct);

        var invalid = ContractVectors.InvalidDeviceMessages().ToList();
        Assert.True(invalid.Count > 50, $"only {invalid.Count} invalid device messages found in the vectors");
        foreach (var vector in invalid)
            await (vector.Topic.Contains("/sousvide/", StringComparison.Ordinal) ? cookerDevice : bulbDevice).PublishAsync(vector.Topic, vector.Payload, ct);

        // Each (service, kind, error) is counted as often as the vectors expect it.
        foreach (var group in invalid.GroupBy(v => (v.Service, v.Kind, v.Error)))
        {
            var (service, kind, error) = group.Key;
            await Eventually.UntilAsync(c => platform.MessagesCountedAsync(service, c, $"kind=\"{kind}\"", "outcome=\"rejected\"", $"reason=\"{error}\""),
                n => n == group.Count(), $"{group.Count()} {kind} messages rejected by {service} as {error}", n => $"{n}",
                TimeSpan.FromSeconds(15), ct);
        }

        Assert.Empty((await platform.LightBulb("bulb-1").GetTwin()).Properties);
        Assert.Empty((await platform.SousVide("cooker-1").GetTwin()).Properties);
        Assert.Empty(platform.Recorder.TelemetryOf("bulb-1"));
    }

    [Fact]
    public async Task A_device_login_the_broker_refuses_is_counted_by_the_service_whose_device_it_names()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var platform = await DevicePlatform.StartAsync(Bus.Redis, ct);
        var (admin, password) = platform.BrokerAdmin;
        await using var operatorClient = await MqttTestClient.ConnectAsync(platform.BrokerPort, "operator", admin, password, ct);

        // A role that exists already cannot be created: the plugin answers with an error, and echoes the correlation.
        await operatorClient.PublishAsync("$CONTROL/dynamic-security/v1",
            """{"commands":[{"command":"createRole","rolename":"admin","correlationData":"sousvide/pot-9"}]}""", ct);

        await Eventually.UntilAsync(async c => (await platform.MetricsAsync("sousvide", c))
                .Where(m => m.Key.StartsWith("dapriot_broker_control_errors_total{", StringComparison.Ordinal) && m.Key.Contains("command=\"createRole\"", StringComparison.Ordinal))
                .Sum(m => m.Value),
            n => n == 1, "the sousvide service counts the refusal", n => $"{n}", TimeSpan.FromSeconds(15), ct);
        Assert.DoesNotContain((await platform.MetricsAsync("lightbulb", ct)).Keys, k => k.StartsWith("dapriot_broker_control_errors_total", StringComparison.Ordinal));
    }

    private static int? Brightness(DeviceTwinView twin) =>
        twin.Properties.TryGetValue("brightnessPct", out var property) ? property.Reported?.GetInt32() : null;

    private static string State(uint boot, uint seq, int brightness) =>
        JsonSerializer.Serialize(new { boot, seq, power = true, brightnessPct = brightness, colorTempK = 4000 });
}
