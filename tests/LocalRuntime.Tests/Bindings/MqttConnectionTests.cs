using System.Text;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

public sealed class MqttConnectionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static MqttConnection Client(int port, string clientId, params string[] subscriptions) =>
        new(new MqttConnectionOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ClientId = clientId,
            CleanSession = true,
            // Only the shared broker asks for a login; the tests' private brokers are anonymous.
            Username = port == TestMqtt.SharedPort ? TestMqtt.Username : null,
            Password = port == TestMqtt.SharedPort ? TestMqtt.Password : null,
            Subscriptions = subscriptions,
        }, NullLogger.Instance);

    [Fact]
    public async Task A_QoS_1_publish_completes_on_puback_and_reaches_a_wildcard_subscriber_byte_for_byte()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"test/{Guid.NewGuid():N}";
        await using var subscriber = Client(TestMqtt.SharedPort, $"sub-{Guid.NewGuid():N}", $"{prefix}/+/state");
        await using var publisher = Client(TestMqtt.SharedPort, $"pub-{Guid.NewGuid():N}");
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

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync(TimeSpan.FromMilliseconds(500), ct));
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
        MqttConnection Persistent() => new(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = clientId, CleanSession = false, Mqtt5 = true, Subscriptions = [topic],
        }, NullLogger.Instance);
        await using (var first = Persistent())
        {
            await first.ConnectAsync(Timeout, ct);
            await first.Subscribed.WaitAsync(Timeout, ct);
        }
        await using (var publisher = Client(TestMqtt.SharedPort, $"pub-{Guid.NewGuid():N}"))
        {
            await publisher.ConnectAsync(Timeout, ct);
            await publisher.PublishAsync(topic, "while away"u8.ToArray(), 1, false, ct);
        }

        await using var again = Persistent();
        await again.ConnectAsync(Timeout, ct);
        var received = await again.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal("while away", Encoding.UTF8.GetString(received.Payload));
    }

    [Fact]
    public async Task A_manually_acknowledged_message_left_unacknowledged_comes_back_when_the_persistent_session_reconnects()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"test/{Guid.NewGuid():N}/state";
        var clientId = $"manual-ack-{Guid.NewGuid():N}";
        MqttConnection Consumer() => new(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = clientId, CleanSession = false, Mqtt5 = true, AcknowledgeManually = true,
            Subscriptions = [topic],
        }, NullLogger.Instance);
        try
        {
            await using (var first = Consumer())
            {
                await first.ConnectAsync(Timeout, ct);
                await first.Subscribed.WaitAsync(Timeout, ct);
                await using (var publisher = Client(TestMqtt.SharedPort, $"pub-{Guid.NewGuid():N}"))
                {
                    await publisher.ConnectAsync(Timeout, ct);
                    await publisher.PublishAsync(topic, "left alone"u8.ToArray(), 1, false, ct);
                    await publisher.PublishAsync(topic, "acknowledged"u8.ToArray(), 1, false, ct);
                }
                var leftAlone = await first.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
                var acknowledged = await first.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
                Assert.Equal(("left alone", true), (Encoding.UTF8.GetString(leftAlone.Payload), leftAlone.AwaitsAcknowledgement));
                Assert.True(await acknowledged.AcknowledgeAsync(ct));
            }

            await using var again = Consumer();
            await again.ConnectAsync(Timeout, ct);
            var resent = await again.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
            Assert.Equal("left alone", Encoding.UTF8.GetString(resent.Payload));
            Assert.True(await resent.AcknowledgeAsync(ct));
            await again.Subscribed.WaitAsync(Timeout, ct);
            await Task.Delay(300, ct);
            Assert.False(again.Messages.TryRead(out var extra), $"the broker sent '{(extra is null ? "" : Encoding.UTF8.GetString(extra.Payload))}' again");
        }
        finally
        {
            // A clean session under the same client id makes the shared broker drop the persistent one.
            await using var forget = Client(TestMqtt.SharedPort, clientId);
            await forget.ConnectAsync(Timeout, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_client_whose_socket_is_numbered_above_1023_still_works()
    {
        var ct = TestContext.Current.CancellationToken;
        // A runtime hosting many sidecars holds many descriptors: past FD_SETSIZE (1024) a select()-based client fails.
        var held = Enumerable.Range(0, 1100).Select(_ => new System.Net.Sockets.Socket(
            System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp)).ToList();
        try
        {
            var topic = $"test/{Guid.NewGuid():N}/high";
            await using var subscriber = Client(TestMqtt.SharedPort, $"sub-{Guid.NewGuid():N}", topic);
            await using var publisher = Client(TestMqtt.SharedPort, $"pub-{Guid.NewGuid():N}");
            await subscriber.ConnectAsync(Timeout, ct);
            await subscriber.Subscribed.WaitAsync(Timeout, ct);
            await publisher.ConnectAsync(Timeout, ct);

            await publisher.PublishAsync(topic, "still here"u8.ToArray(), 1, false, ct).WaitAsync(Timeout, ct);

            var received = await subscriber.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
            Assert.Equal("still here", Encoding.UTF8.GetString(received.Payload));
            Assert.True(held[^1].Handle > 1024, "the test did not get past FD_SETSIZE");
        }
        finally
        {
            foreach (var socket in held) socket.Dispose();
        }
    }
}
