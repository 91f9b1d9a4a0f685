using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>A private broker that goes away and comes back on the same port, forgetting every session.</summary>
public sealed class MqttBrokerRestartTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<MqttConnection> DeviceAsync(int port, CancellationToken ct, params string[] subscriptions)
    {
        var client = new MqttConnection(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = port, ClientId = $"device-{Guid.NewGuid():N}", CleanSession = true, Subscriptions = subscriptions,
        }, NullLogger.Instance);
        await client.ConnectAsync(Timeout, ct);
        await client.Subscribed.WaitAsync(Timeout, ct);
        return client;
    }

    [Fact]
    public async Task After_a_broker_restart_the_binding_reconnects_resubscribes_and_messages_flow_both_ways_again()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MosquittoBrokerProcess.StartAsync(ct);
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync(
            [BindingsSidecar.Mqtt("bulbs", "dapriot/lightbulb/+/state", ("url", $"tcp://127.0.0.1:{broker.Port}"))], app, ct);
        var consumer = sidecar.Feature.ConsumerOf("bulbs")!;
        await using (var device = await DeviceAsync(broker.Port, ct, "dapriot/lightbulb/+/cmd"))
        {
            await device.PublishAsync("dapriot/lightbulb/b1/state", "before"u8.ToArray(), 1, false, ct);
            await Poll.UntilAsync(() => app.Accepted.Count == 1, "delivery before the restart", Timeout);
            Assert.Equal(HttpStatusCode.NoContent, (await sidecar.InvokeAsync("bulbs",
                new { data = "on", metadata = new { topic = "dapriot/lightbulb/b1/cmd" }, operation = "create" }, ct)).StatusCode);
            Assert.Equal("\"on\"", Encoding.UTF8.GetString((await device.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct)).Payload));
        }

        await broker.StopAsync();
        await Poll.UntilAsync(() => !consumer.IsConnected, "the binding notices the broker is gone", Timeout);
        await broker.RestartAsync(ct);
        await Poll.UntilAsync(() => consumer.SubscribeCount == 2, "the binding reconnects and resubscribes", TimeSpan.FromSeconds(15));
        Assert.Equal(2, consumer.ConnectCount);

        // The restarted broker kept nothing: this delivery exists only because the binding subscribed again.
        await using var deviceAgain = await DeviceAsync(broker.Port, ct, "dapriot/lightbulb/+/cmd");
        await deviceAgain.PublishAsync("dapriot/lightbulb/b2/state", "after"u8.ToArray(), 1, false, ct);
        await Poll.UntilAsync(() => app.Accepted.Count == 2, "delivery after the restart", Timeout);
        Assert.Equal(("dapriot/lightbulb/b2/state", "after"), (app.Accepted.Last().Topic, app.Accepted.Last().Text));

        Assert.Equal(HttpStatusCode.NoContent, (await sidecar.InvokeAsync("bulbs",
            new { data = "off", metadata = new { topic = "dapriot/lightbulb/b2/cmd" }, operation = "create" }, ct)).StatusCode);
        Assert.Equal("\"off\"", Encoding.UTF8.GetString((await deviceAgain.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct)).Payload));
        Assert.Contains(sidecar.Log.Lines, l => l.Contains("lost") && l.Contains("-consumer"));
    }

    [Fact]
    public async Task A_persistent_session_made_on_a_reconnect_still_keeps_messages_while_the_binding_is_stopped()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MosquittoBrokerProcess.StartAsync(ct);
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync(
            [BindingsSidecar.Mqtt("bulbs", "dapriot/lightbulb/+/state", ("url", $"tcp://127.0.0.1:{broker.Port}"), ("cleanSession", "false"))],
            app, ct);
        var consumer = sidecar.Feature.ConsumerOf("bulbs")!;

        // The restarted broker has no session any more: the reconnect's CONNECT alone decides how long the new one lives.
        await broker.StopAsync();
        await broker.RestartAsync(ct);
        await Poll.UntilAsync(() => consumer.SubscribeCount == 2, "the binding reconnects and resubscribes", TimeSpan.FromSeconds(15));
        await sidecar.Feature.StopAsync(ct);
        await using (var device = await DeviceAsync(broker.Port, ct))
            await device.PublishAsync("dapriot/lightbulb/b3/state", "kept for the binding"u8.ToArray(), 1, false, ct);
        await sidecar.Feature.StartAsync(ct);

        await Poll.UntilAsync(() => app.Accepted.Count == 1, "the message kept by the session", Timeout);
        Assert.Equal("kept for the binding", app.Accepted.Single().Text);
    }
}
