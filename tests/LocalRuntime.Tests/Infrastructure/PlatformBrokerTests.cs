using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.Infrastructure;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Protocol;

namespace DaprIoT.LocalRuntime.Tests.Infrastructure;

/// <summary>
/// The platform's Mosquitto, started on a free port by <see cref="InfrastructureLauncher"/> exactly as
/// <c>dapr-local --infra auto</c> starts it: devices provisioned through the dynamic-security plugin, with the
/// commands in deploy/local/README.md, by a device service's own user, may use only their own topics.
/// </summary>
public sealed class PlatformBrokerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly MqttClientFactory Factory = new();
    private readonly TempFolder _data = new();
    private readonly List<Client> _clients = [];
    private InfrastructureLauncher _launcher = null!;
    private int _port;
    private JsonObject _secrets = null!;

    public async ValueTask InitializeAsync()
    {
        _port = FreePorts.Next();
        _launcher = new InfrastructureLauncher(_data.Path, NullLogger.Instance);
        var binding = new ComponentSpec("bulbs", "bindings.mqtt3", "v1",
            new Dictionary<string, string> { ["url"] = $"tcp://127.0.0.1:{_port}" }, [], false, "test.yaml");
        await _launcher.EnsureAsync([binding], TestContext.Current.CancellationToken);
        _secrets = JsonNode.Parse(await File.ReadAllTextAsync(_launcher.SecretsFile, TestContext.Current.CancellationToken))!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Mqtt.Dispose();
        await _launcher.DisposeAsync();
        _data.Dispose();
    }

    private string Password(string user) => _secrets[$"mqtt-{user}-password"]!.GetValue<string>();

    [Fact]
    public async Task The_secrets_file_holds_a_url_and_password_per_platform_user_and_anonymous_clients_are_refused()
    {
        foreach (var user in new[] { "admin", "lightbulb", "sousvide" })
            Assert.Equal($"tcp://{user}:{Password(user)}@127.0.0.1:{_port}", _secrets[$"mqtt-{user}-url"]!.GetValue<string>());

        await Assert.ThrowsAsync<RefusedException>(() => ConnectAsync($"anonymous-{Guid.NewGuid():N}", null, null));
        await Assert.ThrowsAsync<RefusedException>(() => ConnectAsync("lightbulb", "lightbulb", "wrong"));
    }

    [Fact]
    public async Task A_provisioned_device_uses_only_its_own_topics_and_the_service_user_only_its_own_type()
    {
        var lightbulb = await ConnectAsync($"lightbulb-{Guid.NewGuid():N}", "lightbulb", Password("lightbulb"));
        var sousvide = await ConnectAsync($"sousvide-{Guid.NewGuid():N}", "sousvide", Password("sousvide"));
        AssertAllSucceeded(await DynsecAsync(lightbulb, Provision("lightbulb", "bulb-1", "pw-1"), Provision("lightbulb", "bulb-2", "pw-2")));
        AssertAllSucceeded(await DynsecAsync(sousvide, Provision("sousvide", "cooker-1", "pw-c")));

        await Assert.ThrowsAsync<RefusedException>(() => ConnectAsync("bulb-1", "bulb-1", "pw-2"));
        // The client id must be the device id: another device's credentials do not do.
        await Assert.ThrowsAsync<RefusedException>(() => ConnectAsync("bulb-2", "bulb-1", "pw-1"));
        var bulb = await ConnectAsync("bulb-1", "bulb-1", "pw-1", will: "dapriot/lightbulb/bulb-1/presence");
        var cooker = await ConnectAsync("cooker-1", "cooker-1", "pw-c");
        var watcher = await ConnectAsync($"admin-{Guid.NewGuid():N}", "admin", Password("admin"));
        Assert.True(await SubscribeAsync(watcher, "dapriot/#"));

        Assert.True(await SubscribeAsync(bulb, "dapriot/lightbulb/bulb-1/cmd"));
        Assert.False(await SubscribeAsync(bulb, "dapriot/lightbulb/bulb-2/cmd"));
        Assert.False(await SubscribeAsync(bulb, "dapriot/lightbulb/+/cmd"));
        Assert.False(await SubscribeAsync(bulb, "dapriot/lightbulb/bulb-2/state"));
        Assert.True(await SubscribeAsync(cooker, "dapriot/sousvide/cooker-1/cmd"));

        Assert.True(await SubscribeAsync(lightbulb, "$share/lightbulb/dapriot/lightbulb/+/+"));
        Assert.False(await SubscribeAsync(lightbulb, "dapriot/sousvide/+/+"));
        Assert.False(await SubscribeAsync(lightbulb, "dapriot/#"));

        // Refused publishes are dropped silently (MQTT 3.1.1 has no way to say so); what arrives shows which were.
        foreach (var topic in new[] { "dapriot/lightbulb/bulb-2/state", "dapriot/sousvide/bulb-1/state", "dapriot/lightbulb/bulb-1/cmd", "dapriot/lightbulb/bulb-1/state" })
            await PublishAsync(bulb, topic, "from bulb-1");
        Assert.Equal("dapriot/lightbulb/bulb-1/state", (await NextAsync(watcher)).Topic);
        Assert.Equal("dapriot/lightbulb/bulb-1/state", (await NextAsync(lightbulb)).Topic);

        foreach (var topic in new[] { "dapriot/sousvide/cooker-1/cmd", "dapriot/lightbulb/bulb-1/state", "dapriot/lightbulb/bulb-1/cmd" })
            await PublishAsync(lightbulb, topic, "from the lightbulb service");
        Assert.Equal("dapriot/lightbulb/bulb-1/cmd", (await NextAsync(watcher)).Topic);
        Assert.Equal("dapriot/lightbulb/bulb-1/cmd", (await NextAsync(bulb)).Topic);
        await PublishAsync(cooker, "dapriot/sousvide/cooker-1/state", "from cooker-1");
        Assert.Equal("dapriot/sousvide/cooker-1/state", (await NextAsync(watcher)).Topic);
        // The service subscribed to its type's +/+ but is given only reports: neither its own cmd nor the cooker's state.
        Assert.Null(PendingDeviceMessage(lightbulb));
        Assert.Null(PendingDeviceMessage(cooker));

        AssertAllSucceeded(await DynsecAsync(lightbulb, Remove("bulb-1")));
        await bulb.Disconnected.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<RefusedException>(() => ConnectAsync("bulb-1", "bulb-1", "pw-1"));
    }

    [Fact]
    public async Task Reprovisioning_replaces_a_device_whether_or_not_it_exists_and_a_second_start_keeps_it()
    {
        var lightbulb = await ConnectAsync($"lightbulb-{Guid.NewGuid():N}", "lightbulb", Password("lightbulb"));
        var first = await DynsecAsync(lightbulb, Reprovision("lightbulb", "bulb-9", "old"));
        Assert.Equal(["Client not found", "Role not found", null, null], first.Select(r => r["error"]?.GetValue<string>()));
        var old = await ConnectAsync("bulb-9", "bulb-9", "old");

        AssertAllSucceeded(await DynsecAsync(lightbulb, Reprovision("lightbulb", "bulb-9", "new")));
        await old.Disconnected.Task.WaitAsync(Timeout, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<RefusedException>(() => ConnectAsync("bulb-9", "bulb-9", "old"));

        // Stopped and started again on the same data: same passwords, and the device the plugin saved is still there.
        var secrets = await File.ReadAllTextAsync(_launcher.SecretsFile, TestContext.Current.CancellationToken);
        await _launcher.DisposeAsync();
        await _launcher.EnsureAsync([new ComponentSpec("bulbs", "bindings.mqtt3", "v1",
            new Dictionary<string, string> { ["url"] = $"tcp://127.0.0.1:{_port}" }, [], false, "test.yaml")], TestContext.Current.CancellationToken);
        Assert.Equal(secrets, await File.ReadAllTextAsync(_launcher.SecretsFile, TestContext.Current.CancellationToken));
        await ConnectAsync("bulb-9", "bulb-9", "new");
        await ConnectAsync($"lightbulb-{Guid.NewGuid():N}", "lightbulb", Password("lightbulb"));
    }

    // The dynamic-security commands documented in deploy/local/README.md ("Provisioning a device").

    private static IEnumerable<JsonObject> Provision(string type, string deviceId, string password) =>
    [
        new()
        {
            ["command"] = "createRole",
            ["rolename"] = $"device-{deviceId}",
            ["acls"] = new JsonArray([
                .. new[] { "state", "telemetry", "ack", "presence" }.Select(suffix => (JsonNode)new JsonObject
                {
                    ["acltype"] = "publishClientSend", ["topic"] = $"dapriot/{type}/{deviceId}/{suffix}", ["allow"] = true,
                }),
                new JsonObject { ["acltype"] = "subscribeLiteral", ["topic"] = $"dapriot/{type}/{deviceId}/cmd", ["allow"] = true },
            ]),
        },
        new()
        {
            ["command"] = "createClient", ["username"] = deviceId, ["clientid"] = deviceId, ["password"] = password,
            ["roles"] = new JsonArray(new JsonObject { ["rolename"] = $"device-{deviceId}" }),
        },
    ];

    private static IEnumerable<JsonObject> Remove(string deviceId) =>
    [
        new() { ["command"] = "deleteClient", ["username"] = deviceId },
        new() { ["command"] = "deleteRole", ["rolename"] = $"device-{deviceId}" },
    ];

    private static IEnumerable<JsonObject> Reprovision(string type, string deviceId, string password) =>
        [.. Remove(deviceId), .. Provision(type, deviceId, password)];

    private static void AssertAllSucceeded(IReadOnlyList<JsonNode> responses) =>
        Assert.All(responses, r => Assert.Null(r["error"]));

    /// <summary>
    /// Publishes one batch to the plugin's control topic and returns its responses, one per command. Every subscriber
    /// of the response topic gets every response, so the batch is recognised by the correlationData it carries.
    /// </summary>
    private static async Task<IReadOnlyList<JsonNode>> DynsecAsync(Client client, params IEnumerable<JsonObject>[] commands)
    {
        var correlation = Guid.NewGuid().ToString("N");
        var batch = commands.SelectMany(c => c).ToList();
        foreach (var command in batch) command["correlationData"] = correlation;
        Assert.True(await SubscribeAsync(client, "$CONTROL/dynamic-security/v1/response"));
        await PublishAsync(client, "$CONTROL/dynamic-security/v1", new JsonObject { ["commands"] = new JsonArray([.. batch]) }.ToJsonString());
        while (true)
        {
            var (topic, payload) = await client.Messages.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout);
            if (topic != "$CONTROL/dynamic-security/v1/response") continue;
            var responses = JsonNode.Parse(payload)!["responses"]!.AsArray().Select(r => r!).ToList();
            if (responses[0]["correlationData"]?.GetValue<string>() == correlation) return responses;
        }
    }

    /// <summary>The broker refused the connection (CONNACK with an error code).</summary>
    private sealed class RefusedException(string code) : Exception($"connection refused: {code}");

    private sealed record Client(IMqttClient Mqtt, Channel<(string Topic, string Payload)> Messages, TaskCompletionSource Disconnected);

    private async Task<Client> ConnectAsync(string clientId, string? username, string? password, string? will = null)
    {
        var mqtt = Factory.CreateMqttClient();
        var client = new Client(mqtt, Channel.CreateUnbounded<(string, string)>(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        mqtt.ApplicationMessageReceivedAsync += e =>
        {
            client.Messages.Writer.TryWrite((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload)));
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311)
            .WithClientId(clientId)
            .WithCleanSession();
        if (username is not null) options.WithCredentials(username, password);
        if (will is not null) options.WithWillTopic(will).WithWillPayload("offline").WithWillRetain().WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        try
        {
            var result = await mqtt.ConnectAsync(options.Build(), TestContext.Current.CancellationToken).WaitAsync(Timeout);
            if (result.ResultCode != MqttClientConnectResultCode.Success) throw new RefusedException(result.ResultCode.ToString());
        }
        catch (MqttConnectingFailedException e)
        {
            throw new RefusedException(e.Message);
        }
        finally
        {
            if (!mqtt.IsConnected) mqtt.Dispose();
        }
        mqtt.DisconnectedAsync += _ =>
        {
            client.Disconnected.TrySetResult();
            return Task.CompletedTask;
        };
        _clients.Add(client);
        return client;
    }

    private static async Task<bool> SubscribeAsync(Client client, string filter)
    {
        var result = await client.Mqtt.SubscribeAsync(Factory.CreateSubscribeOptionsBuilder()
            .WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken).WaitAsync(Timeout);
        return result.Items.Single().ResultCode is MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1;
    }

    private static Task PublishAsync(Client client, string topic, string payload) =>
        client.Mqtt.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build(), TestContext.Current.CancellationToken).WaitAsync(Timeout);

    /// <summary>The next message other than a dynamic-security response (which go to every subscriber of their topic).</summary>
    private static async Task<(string Topic, string Payload)> NextAsync(Client client)
    {
        while (true)
        {
            var message = await client.Messages.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Timeout);
            if (!message.Topic.StartsWith("$CONTROL/", StringComparison.Ordinal)) return message;
        }
    }

    private static string? PendingDeviceMessage(Client client)
    {
        while (client.Messages.Reader.TryRead(out var message))
            if (!message.Topic.StartsWith("$CONTROL/", StringComparison.Ordinal)) return message.Topic;
        return null;
    }
}
