using DaprIoT.LocalRuntime.Bindings;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using DaprIoT.LocalRuntime.Resiliency;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>Starting, stopping and restarting input bindings; replicas; resiliency on the way to the app.</summary>
public sealed class MqttBindingLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<MqttConnection> DeviceAsync(CancellationToken ct)
    {
        var client = new MqttConnection(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = $"device-{Guid.NewGuid():N}", CleanSession = true,
        }, NullLogger.Instance);
        await client.ConnectAsync(Timeout, ct);
        return client;
    }

    [Fact]
    public async Task With_a_persistent_session_messages_sent_while_the_binding_was_stopped_arrive_when_it_starts_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        var consumerId = $"persistent-{Guid.NewGuid():N}";
        try
        {
            await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
            await using var sidecar = await BindingsSidecar.StartAsync(
                [BindingsSidecar.Mqtt("bulbs", topic, ("cleanSession", "false"), ("consumerID", consumerId))], app, ct);
            await using var device = await DeviceAsync(ct);

            await sidecar.Feature.StopAsync(ct);
            await sidecar.Feature.StopAsync(ct);
            Assert.False(sidecar.Feature.IsReading("bulbs"));
            await device.PublishAsync(topic, "while the app restarted"u8.ToArray(), 1, false, ct);
            await sidecar.Feature.StartAsync(ct);

            await Poll.UntilAsync(() => app.Accepted.Count == 1, "the queued message", Timeout);
            Assert.Equal("while the app restarted", app.Accepted.Single().Text);
        }
        finally
        {
            await ForgetSessionAsync($"{consumerId}-consumer");
        }
    }

    /// <summary>Connecting once with a clean session makes the shared broker drop a test's persistent session.</summary>
    private static async Task ForgetSessionAsync(string clientId)
    {
        await using var client = new MqttConnection(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = clientId, CleanSession = true,
        }, NullLogger.Instance);
        await client.ConnectAsync(Timeout, CancellationToken.None);
    }

    [Fact]
    public async Task Without_an_app_port_no_input_binding_starts_but_output_still_works()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/cmd";
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], null, ct);

        Assert.False(sidecar.Feature.IsReading("bulbs"));
        Assert.Contains(sidecar.Log.Lines, l => l.Contains("has no app port"));
        Assert.Equal(System.Net.HttpStatusCode.NoContent,
            (await sidecar.InvokeAsync("bulbs", new { data = 1, operation = "create" }, ct)).StatusCode);
    }

    [Fact]
    public async Task Replicas_sharing_a_consumerID_are_warned_that_the_broker_will_make_them_take_turns()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        var component = BindingsSidecar.Mqtt("bulbs", topic, ("consumerID", $"shared-{Guid.NewGuid():N}"));
        await using var runtime = new ServiceCollection().AddBindings().BuildServiceProvider();
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);

        await using var first = await BindingsSidecar.StartAsync([component], app, ct, appId: "lightbulb", replica: 0, runtimeServices: runtime);
        await using var second = await BindingsSidecar.StartAsync([component], app, ct, appId: "lightbulb", replica: 1, runtimeServices: runtime);

        Assert.DoesNotContain(first.Log.Lines, l => l.Contains("is also used by"));
        Assert.Contains(second.Log.Lines, l => l.Contains("-consumer is also used by lightbulb-0 (binding bulbs)"));

        await first.InvokeAsync("bulbs", new { data = 1, operation = "create" }, ct);
        await second.InvokeAsync("bulbs", new { data = 2, operation = "create" }, ct);
        Assert.Contains(second.Log.Lines, l => l.Contains("-producer is also used by lightbulb-0 (binding bulbs)"));
    }

    [Fact]
    public async Task Under_an_inbound_retry_policy_a_204_is_retried_like_daprd_and_finally_accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        app.Respond = _ => 204;
        var retryTwice = new TargetPolicies(new RetryPolicy("retry", RetryBackoff.Constant, TimeSpan.FromMilliseconds(50), TimeSpan.Zero, 2), null);
        var resiliency = ResiliencySpec.Empty with { ComponentInbound = new Dictionary<string, TargetPolicies> { ["bulbs"] = retryTwice } };
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct, resiliency);
        await using var device = await DeviceAsync(ct);

        await device.PublishAsync(topic, "{}"u8.ToArray(), 1, false, ct);

        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Delivered == 1, "the message counted as delivered", Timeout);
        Assert.Equal(3, app.Accepted.Count);
        Assert.Equal(0, counters.Rejected);
    }

    [Fact]
    public async Task Without_a_policy_any_2xx_is_success_at_the_first_attempt()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        app.Respond = _ => 204;
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct);
        await using var device = await DeviceAsync(ct);

        await device.PublishAsync(topic, "{}"u8.ToArray(), 1, false, ct);
        await device.PublishAsync(topic, "{}"u8.ToArray(), 1, false, ct);

        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Delivered == 2, "both delivered", Timeout);
        Assert.Equal(2, app.Accepted.Count);
    }

    [Fact]
    public async Task Stopping_lets_received_messages_finish_their_delivery_first()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        app.Respond = _ =>
        {
            Thread.Sleep(300); // a slow app: the deliveries are still running when the stop begins
            return 200;
        };
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct);
        var consumer = sidecar.Feature.ConsumerOf("bulbs")!;
        await using var device = await DeviceAsync(ct);
        for (var i = 0; i < 3; i++) await device.PublishAsync(topic, "{}"u8.ToArray(), 1, false, ct);
        await Poll.UntilAsync(() => consumer.ReceivedCount == 3, "all three received", Timeout);

        await sidecar.Feature.StopAsync(ct);

        var counters = sidecar.Feature.CountersOf("bulbs")!;
        Assert.Equal((3, 0), (counters.Delivered, counters.Abandoned));
    }

    [Fact]
    public async Task A_delivery_still_being_retried_when_the_stop_is_cut_short_is_counted_as_abandoned()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        app.Respond = _ => 500;
        await using var sidecar = await BindingsSidecar.StartAsync(
            [BindingsSidecar.Mqtt("bulbs", topic, ("backOffMaxRetries", "-1"))], app, ct);
        await using var device = await DeviceAsync(ct);
        await device.PublishAsync(topic, "{}"u8.ToArray(), 1, false, ct);
        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Retries == 1, "the first retry is scheduled", Timeout);

        using var hurry = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await sidecar.Feature.StopAsync(hurry.Token);

        Assert.Equal((0, 0, 1), (counters.Delivered, counters.Rejected, counters.Abandoned));
        Assert.Contains(sidecar.Log.Lines, l => l.Contains("stopped while delivering a message"));
    }
}
