using System.Text;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

public sealed class MosquittoClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static MosquittoClient Client(int port, string clientId, params string[] subscriptions) =>
        new(new MosquittoClientOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ClientId = clientId,
            CleanSession = true,
            Subscriptions = subscriptions,
        }, NullLogger.Instance);

    [Fact]
    public async Task A_QoS_1_publish_completes_on_puback_and_reaches_a_wildcard_subscriber_byte_for_byte()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"test/{Guid.NewGuid():N}";
        await using var subscriber = Client(1883, $"sub-{Guid.NewGuid():N}", $"{prefix}/+/state");
        await using var publisher = Client(1883, $"pub-{Guid.NewGuid():N}");
        await subscriber.ConnectAsync(Timeout, ct);
        await subscriber.Subscribed.WaitAsync(Timeout, ct);
        await publisher.ConnectAsync(Timeout, ct);

        byte[] payload = [0, 1, 2, 255, .. Encoding.UTF8.GetBytes("{\"on\":true}")];
        await publisher.PublishAsync($"{prefix}/bulb-7/state", payload, 1, false, ct).WaitAsync(Timeout, ct);

        var received = await subscriber.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal($"{prefix}/bulb-7/state", received.Topic);
        Assert.Equal(payload, received.Payload);
        Assert.Equal(1, received.Qos);
    }

    [Fact]
    public async Task A_client_started_before_its_broker_connects_once_the_broker_is_up()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MosquittoBrokerProcess.StartAsync(ct);
        await broker.StopAsync();
        await using var client = Client(broker.Port, $"late-{Guid.NewGuid():N}");

        var connecting = client.ConnectAsync(Timeout, ct);
        await Task.Delay(300, ct);
        Assert.False(connecting.IsCompleted);
        await broker.RestartAsync(ct);

        await connecting;
        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Connecting_to_a_port_nobody_listens_on_fails_after_the_timeout_and_disposes_promptly()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var broker = await MosquittoBrokerProcess.StartAsync(ct);
        await broker.StopAsync();
        var client = Client(broker.Port, $"none-{Guid.NewGuid():N}");

        var error = await Assert.ThrowsAsync<MosquittoException>(() => client.ConnectAsync(TimeSpan.FromMilliseconds(500), ct));
        Assert.Contains("could not connect", error.Message);
        var started = DateTime.UtcNow;
        await client.DisposeAsync();
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(3), "dispose waited for the reconnect backoff");
    }

    [Fact]
    public async Task An_MQTT_5_client_without_clean_session_gets_what_was_published_while_it_was_away()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"test/{Guid.NewGuid():N}/cmd";
        var clientId = $"persistent-{Guid.NewGuid():N}";
        MosquittoClient Persistent() => new(new MosquittoClientOptions
        {
            Host = "127.0.0.1", Port = 1883, ClientId = clientId, CleanSession = false, Mqtt5 = true, Subscriptions = [topic],
        }, NullLogger.Instance);
        await using (var first = Persistent())
        {
            await first.ConnectAsync(Timeout, ct);
            await first.Subscribed.WaitAsync(Timeout, ct);
        }
        await using (var publisher = Client(1883, $"pub-{Guid.NewGuid():N}"))
        {
            await publisher.ConnectAsync(Timeout, ct);
            await publisher.PublishAsync(topic, "while away"u8.ToArray(), 1, false, ct);
        }

        await using var again = Persistent();
        await again.ConnectAsync(Timeout, ct);
        var received = await again.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal("while away", Encoding.UTF8.GetString(received.Payload));
    }
}
