using System.Diagnostics;
using System.Text;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>Input bindings against the shared mosquitto on 127.0.0.1:1883 and a real in-process app.</summary>
public sealed class MqttInputBindingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<MqttConnection> PublisherAsync(CancellationToken ct, int port = TestMqtt.SharedPort)
    {
        var client = new MqttConnection(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = port, ClientId = $"device-{Guid.NewGuid():N}", CleanSession = true,
            // Only the shared broker asks for a login; the tests' private brokers are anonymous.
            Username = port == TestMqtt.SharedPort ? TestMqtt.Username : null,
            Password = port == TestMqtt.SharedPort ? TestMqtt.Password : null,
        }, NullLogger.Instance);
        await client.ConnectAsync(Timeout, ct);
        return client;
    }

    [Fact]
    public async Task A_wildcard_binding_delivers_each_device_message_with_its_own_topic_header_and_the_raw_payload()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"dapriot-test/{Guid.NewGuid():N}/lightbulb";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", $"{prefix}/+/state")], app, ct);
        await using var device = await PublisherAsync(ct);

        await device.PublishAsync($"{prefix}/bulb-1/state", Encoding.UTF8.GetBytes("{\"on\":true,\"seq\":1}"), 1, false, ct);
        await device.PublishAsync($"{prefix}/bulb-2/state", Encoding.UTF8.GetBytes("{\"on\":false,\"seq\":7}"), 1, false, ct);
        await device.PublishAsync($"{prefix}/bulb-3/state", new byte[] { 0xff, 0x00, 0x7b }, 1, false, ct);
        await device.PublishAsync($"{prefix}/bulb-1/telemetry", Encoding.UTF8.GetBytes("not for this binding"), 1, false, ct);

        await Poll.UntilAsync(() => app.Accepted.Count >= 3, "three state messages delivered", Timeout);
        var byTopic = app.Accepted.ToDictionary(e => e.Topic);
        Assert.Equal("{\"on\":true,\"seq\":1}", byTopic[$"{prefix}/bulb-1/state"].Text);
        Assert.Equal("{\"on\":false,\"seq\":7}", byTopic[$"{prefix}/bulb-2/state"].Text);
        Assert.Equal([0xff, 0x00, 0x7b], byTopic[$"{prefix}/bulb-3/state"].Body);
        Assert.All(app.Accepted, e => Assert.Equal("/bulbs", e.Path));
        // daprd says application/json whatever the payload is, even for the binary one.
        Assert.All(app.Accepted, e => Assert.Equal("application/json", e.ContentType));
        // Each event starts its own trace, as daprd's binding span does.
        Assert.All(app.Accepted, e => Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", e.Traceparent));
        Assert.Equal(3, app.Accepted.Select(e => e.Traceparent[3..35]).Distinct().Count());
        // The app records a message before it answers; the sidecar counts it once the answer is back.
        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Delivered >= 3, "three deliveries counted", Timeout);
        Assert.Equal(3, counters.Delivered);
    }

    [Fact]
    public async Task QoS_0_messages_are_delivered_past_the_QoS_1_window_while_QoS_1_messages_stay_within_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/telemetry";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct);
        await using var device = await PublisherAsync(ct);
        // More than the QoS 1 window, fewer than the QoS 0 bound.
        const int messages = 150;

        // Telemetry (QoS 0) is not held to the QoS 1 window: all of it reaches the app before it answers any.
        var answerQos0 = new TaskCompletionSource();
        app.AnswerWhen = answerQos0.Task;
        for (var i = 0; i < messages; i++) await device.PublishAsync(topic, Encoding.UTF8.GetBytes($"q0-{i}"), 0, false, ct);
        await Poll.UntilAsync(() => app.Unanswered == messages, "every QoS 0 delivery waiting for the app at once", Timeout);
        answerQos0.SetResult();
        await Poll.UntilAsync(() => app.Accepted.Count == messages, "the QoS 0 messages accepted", Timeout);

        // QoS 1: at most MaxConcurrentDeliveries wait for the app; the rest follow as answers come.
        var answerQos1 = new TaskCompletionSource();
        app.AnswerWhen = answerQos1.Task;
        for (var i = 0; i < messages; i++) await device.PublishAsync(topic, Encoding.UTF8.GetBytes($"q1-{i}"), 1, false, ct);
        await Poll.UntilAsync(() => app.Unanswered == MqttBinding.MaxConcurrentDeliveries, "the QoS 1 window full", Timeout);
        await Task.Delay(300, ct);
        Assert.Equal(MqttBinding.MaxConcurrentDeliveries, app.Unanswered);
        answerQos1.SetResult();
        await Poll.UntilAsync(() => app.Accepted.Count == 2 * messages, "the QoS 1 messages accepted", Timeout);
        // The sidecar counts a delivery once the app's answer is back, after the app has recorded it.
        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Delivered == 2 * messages, "every delivery counted", Timeout);
    }

    [Fact]
    public async Task An_app_answering_404_to_the_OPTIONS_probe_does_not_get_the_binding_started()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/something-else", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct);

        Assert.False(sidecar.Feature.IsReading("bulbs"));
        Assert.Equal(["OPTIONS /bulbs"], app.Requests);
        Assert.Contains(sidecar.Log.Lines, l => l.Contains("app has not subscribed to binding bulbs"));
    }

    [Fact]
    public async Task An_app_answering_405_to_the_probe_gets_the_binding_and_direction_input_skips_the_probe()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}";
        await using var app = await BindingTestApp.StartAsync(
            [("/probed", AppRoute.PostOnly), ("/explicit", AppRoute.PostOnly), ("/routed-here", AppRoute.OptionsAndPost)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync(
        [
            BindingsSidecar.Mqtt("probed", $"{topic}/a"),
            BindingsSidecar.Mqtt("explicit", $"{topic}/b", ("direction", "input")),
            BindingsSidecar.Mqtt("routed", $"{topic}/c", ("route", "/routed-here")),
            BindingsSidecar.Mqtt("sender", $"{topic}/d", ("direction", "output")),
        ], app, ct);

        Assert.True(sidecar.Feature.IsReading("probed"));
        Assert.True(sidecar.Feature.IsReading("explicit"));
        Assert.True(sidecar.Feature.IsReading("routed"));
        Assert.False(sidecar.Feature.IsReading("sender"));
        Assert.Equal(["OPTIONS /probed", "OPTIONS /routed-here"], app.Requests);

        await using var device = await PublisherAsync(ct);
        await device.PublishAsync($"{topic}/c", "{}"u8.ToArray(), 1, false, ct);
        await Poll.UntilAsync(() => app.Accepted.Count == 1, "delivery to the route", Timeout);
        Assert.Equal("/routed-here", app.Accepted.Single().Path);
    }

    [Fact]
    public async Task A_refused_message_is_not_retried_by_default_and_is_counted_while_later_messages_still_flow()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        app.Respond = e => e.Text == "poison" ? 500 : 200;
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct);
        await using var device = await PublisherAsync(ct);

        await device.PublishAsync(topic, "poison"u8.ToArray(), 1, false, ct);
        await device.PublishAsync(topic, "fine"u8.ToArray(), 1, false, ct);

        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Rejected == 1 && counters.Delivered == 1, "one rejected, one delivered", Timeout);
        Assert.Equal(2, app.Requests.Count(r => r == "POST /bulbs")); // one attempt at each message
        Assert.Equal(0, counters.Retries);
        // The rejection is counted before it is logged.
        await Poll.UntilAsync(() => sidecar.Log.Lines.Any(l => l.Contains("failed processing MQTT message") && l.Contains("status code: 500")),
            "the rejection logged", Timeout);
    }

    [Fact]
    public async Task A_message_the_app_refused_stays_unacknowledged_and_reaches_the_app_when_the_persistent_session_gets_it_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        var consumerId = $"redelivery-{Guid.NewGuid():N}";
        try
        {
            await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
            var refusing = true;
            app.Respond = _ => Volatile.Read(ref refusing) ? 500 : 200;
            await using var sidecar = await BindingsSidecar.StartAsync(
                [BindingsSidecar.Mqtt("bulbs", topic, ("cleanSession", "false"), ("consumerID", consumerId))], app, ct);
            await using var device = await PublisherAsync(ct);
            var counters = sidecar.Feature.CountersOf("bulbs")!;

            await device.PublishAsync(topic, "{\"seq\":1}"u8.ToArray(), 1, false, ct);
            await Poll.UntilAsync(() => counters.Rejected == 1, "the app refused the message", Timeout);
            Assert.Empty(app.Accepted);

            // The app is fixed and restarted: the binding reconnects to its session, whose broker still holds the message.
            Volatile.Write(ref refusing, false);
            await sidecar.Feature.StopAsync(ct);
            await sidecar.Feature.StartAsync(ct);
            await Poll.UntilAsync(() => app.Accepted.Count == 1, "the refused message, sent again by the broker", Timeout);
            Assert.Equal(("{\"seq\":1}", topic), (app.Accepted.Single().Text, app.Accepted.Single().Topic));

            // Accepted means acknowledged: the next reconnect brings only what is new.
            await sidecar.Feature.StopAsync(ct);
            await sidecar.Feature.StartAsync(ct);
            await device.PublishAsync(topic, "{\"seq\":2}"u8.ToArray(), 1, false, ct);
            await Poll.UntilAsync(() => app.Accepted.Count == 2, "the next message", Timeout);
            await Task.Delay(300, ct);
            Assert.Equal(["{\"seq\":1}", "{\"seq\":2}"], app.Accepted.Select(e => e.Text));
            Assert.Equal(3, app.Requests.Count(r => r == "POST /bulbs"));
        }
        finally
        {
            // A clean session under the same client id makes the shared broker drop the test's persistent one.
            await using var forget = new MqttConnection(new MqttConnectionOptions
            {
                Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = $"{consumerId}-consumer", CleanSession = true,
            }, NullLogger.Instance);
            await forget.ConnectAsync(Timeout, CancellationToken.None);
        }
    }

    [Fact]
    public async Task With_backOffMaxRetries_a_refused_message_is_retried_after_five_seconds_and_then_delivered()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        var attempts = 0;
        app.Respond = _ => Interlocked.Increment(ref attempts) == 1 ? 503 : 200;
        await using var sidecar = await BindingsSidecar.StartAsync(
            [BindingsSidecar.Mqtt("bulbs", topic, ("backOffMaxRetries", "2"))], app, ct);
        await using var device = await PublisherAsync(ct);

        var published = Stopwatch.StartNew();
        await device.PublishAsync(topic, "{\"seq\":1}"u8.ToArray(), 1, false, ct);

        await Poll.UntilAsync(() => app.Accepted.Count == 1, "delivery after one retry", TimeSpan.FromSeconds(15));
        Assert.InRange(published.Elapsed, TimeSpan.FromSeconds(4.5), TimeSpan.FromSeconds(12));
        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Delivered == 1, "the delivery counted", Timeout);
        Assert.Equal((1, 1, 0), (counters.Delivered, counters.Retries, counters.Rejected));
    }

    [Fact]
    public async Task An_unreachable_app_counts_as_a_refusal()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/state";
        var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("bulbs", topic)], app, ct);
        await app.DisposeAsync();
        await using var device = await PublisherAsync(ct);

        await device.PublishAsync(topic, "{}"u8.ToArray(), 1, false, ct);

        var counters = sidecar.Feature.CountersOf("bulbs")!;
        await Poll.UntilAsync(() => counters.Rejected == 1, "the delivery was given up", Timeout);
        Assert.Equal(0, counters.Delivered);
    }

    [Fact]
    public async Task A_burst_of_two_thousand_messages_arrives_completely()
    {
        var ct = TestContext.Current.CancellationToken;
        const int count = 2000;
        var prefix = $"dapriot-test/{Guid.NewGuid():N}";
        await using var app = await BindingTestApp.StartAsync([("/telemetry", AppRoute.PostOnly)], ct);
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("telemetry", $"{prefix}/#")], app, ct);
        await using var device = await PublisherAsync(ct);

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            device.PublishAsync($"{prefix}/d{i % 10}/telemetry", Encoding.UTF8.GetBytes($"{{\"seq\":{i}}}"), 1, false, ct)));
        // QoS 1 is at least once: the broker may hand a message over twice, so completeness is every distinct message.
        await Poll.UntilAsync(() => app.Accepted.Select(e => e.Text).Distinct().Count() >= count,
            () => $"{count} distinct deliveries; accepted {app.Accepted.Count}, received {sidecar.Feature.ConsumerOf("telemetry")?.ReceivedCount}, published in {clock.ElapsedMilliseconds} ms",
            TimeSpan.FromSeconds(30));
        clock.Stop();

        Assert.Equal(count, app.Accepted.Select(e => e.Text).Distinct().Count());
        // The app records a message as it takes it; the sidecar counts it delivered once the app's answer is back.
        await Poll.UntilAsync(() => sidecar.Feature.CountersOf("telemetry")!.Delivered >= count,
            () => $"{count} counted delivered; counted {sidecar.Feature.CountersOf("telemetry")!.Delivered}", TimeSpan.FromSeconds(10));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"input binding throughput: {count} messages in {clock.Elapsed.TotalMilliseconds:0} ms = {count / clock.Elapsed.TotalSeconds:0} msg/s (publish + broker + HTTP delivery)");
    }
}
