using System.Diagnostics;
using System.Collections.Concurrent;
using System.Text;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>
/// An MQTT 3.1.1 client on the platform's broker: a device sending exactly the bytes a case needs (with the
/// device's own login), or an operator watching topics (the admin login).
/// </summary>
public sealed class MqttTestClient : IAsyncDisposable
{
    private static readonly MqttClientFactory Factory = new();
    private readonly IMqttClient _client;

    private MqttTestClient(IMqttClient client) => _client = client;

    /// <summary>Every message received on a subscription: topic, payload and when it arrived (<see cref="Stopwatch"/> timestamp).</summary>
    public ConcurrentQueue<(string Topic, string Payload, long ReceivedAt)> Received { get; } = new();

    /// <summary>Connects; why not, when the broker refuses.</summary>
    public static async Task<(MqttTestClient? Client, string? Refusal)> TryConnectAsync(int port, string clientId,
        string? username, string? password, CancellationToken cancellationToken)
    {
        var client = Factory.CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithClientId(clientId)
            .WithCleanSession()
            .WithTimeout(TimeSpan.FromSeconds(5));
        if (username is not null) options.WithCredentials(username, password);
        try
        {
            var result = await client.ConnectAsync(options.Build(), cancellationToken);
            if (result.ResultCode == MqttClientConnectResultCode.Success)
            {
                var connected = new MqttTestClient(client);
                client.ApplicationMessageReceivedAsync += e =>
                {
                    connected.Received.Enqueue((e.ApplicationMessage.Topic, Encoding.UTF8.GetString(e.ApplicationMessage.Payload), Stopwatch.GetTimestamp()));
                    return Task.CompletedTask;
                };
                return (connected, null);
            }

            client.Dispose();
            return (null, result.ResultCode.ToString());
        }
        catch (MqttConnectingFailedException e)
        {
            client.Dispose();
            return (null, e.Message);
        }
    }

    public static async Task<MqttTestClient> ConnectAsync(int port, string clientId, string username, string password, CancellationToken cancellationToken)
    {
        var (client, refusal) = await TryConnectAsync(port, clientId, username, password, cancellationToken);
        return client ?? throw new InvalidOperationException($"the broker refused {username}: {refusal}");
    }

    public async Task PublishAsync(string topic, string payload, CancellationToken cancellationToken, bool retain = false) =>
        await _client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build(), cancellationToken);

    /// <summary>Subscribes at QoS 1; false when the broker refused the subscription.</summary>
    public async Task<bool> SubscribeAsync(string topicFilter, CancellationToken cancellationToken)
    {
        var result = await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(topicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), cancellationToken);
        return result.Items.All(i => (int)i.ResultCode < 0x80);
    }

    public bool IsConnected => _client.IsConnected;

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected) await _client.DisconnectAsync();
        _client.Dispose();
    }
}
