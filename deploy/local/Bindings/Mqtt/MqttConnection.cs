using System.Buffers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// One MQTT connection (MQTTnet) that stays up: a background loop connects, subscribes to the configured filters
/// after every connect, notices a lost connection and reconnects with a doubling backoff (1 s to 10 s), as paho does
/// for daprd. Every attempt uses a new MQTTnet client: packet ids start over on a new connection, so a fresh client
/// guarantees that a late acknowledgement can only go out on the connection its message came in on, or nowhere.
/// <see cref="PublishAsync"/> completes on the broker's PUBACK and, when the connection drops first, sends the
/// message again once reconnected. Received messages go to <see cref="Messages"/>.
/// </summary>
public sealed partial class MqttConnection : IAsyncDisposable
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan GoodbyeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StaleClientPause = TimeSpan.FromMilliseconds(20);
    private static readonly MqttClientFactory Factory = new();

    private readonly MqttConnectionOptions _options;
    private readonly MqttClientOptions _clientOptions;
    private readonly MqttClientSubscribeOptions? _subscribeOptions;
    private readonly ILogger _logger;
    // Unbounded: QoS 1 messages are bounded by the Receive Maximum (they stay in flight until acknowledged);
    // QoS 0 messages are not, exactly as under daprd, whose paho client starts a goroutine per message.
    private readonly Channel<MqttMessage> _messages = Channel.CreateUnbounded<MqttMessage>();
    private readonly CancellationTokenSource _disposing = new();
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstSubscribe = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stateLock = new();
    /// <summary>Completed with the connected client while there is one; replaced by a pending one when it is lost.</summary>
    private TaskCompletionSource<IMqttClient> _connection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private int _started;
    private int _disposed;
    private long _connectCount;
    private long _receivedCount;
    private long _subscribeCount;

    /// <exception cref="MqttConnectionException">A TLS certificate or key cannot be loaded.</exception>
    public MqttConnection(MqttConnectionOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _clientOptions = BuildClientOptions(options);
        if (options.Subscriptions.Count > 0)
        {
            var subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (var filter in options.Subscriptions)
                subscribe.WithTopicFilter(filter, (MqttQualityOfServiceLevel)options.SubscriptionQos);
            _subscribeOptions = subscribe.Build();
        }
    }

    public string ClientId => _options.ClientId;

    public bool IsConnected
    {
        get
        {
            var connection = Volatile.Read(ref _connection).Task;
            return connection.IsCompletedSuccessfully && connection.Result.IsConnected;
        }
    }

    /// <summary>How many times a CONNACK accepted this client: 1 after the first connect, +1 per reconnect.</summary>
    public long ConnectCount => Interlocked.Read(ref _connectCount);

    public long ReceivedCount => Interlocked.Read(ref _receivedCount);

    /// <summary>How many times the broker acknowledged the subscriptions: once per (re)connect when all is well.</summary>
    public long SubscribeCount => Interlocked.Read(ref _subscribeCount);

    /// <summary>Messages on the subscribed topics, in the order the broker sent them.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    /// <summary>Completes when the broker first acknowledged the subscriptions (immediately when there are none).</summary>
    public Task Subscribed => _firstSubscribe.Task;

    /// <summary>
    /// Starts the connection loop and waits for the first accepted connection. The loop keeps trying in the
    /// background after a timeout or refusal; dispose the connection to stop it.
    /// </summary>
    public async Task ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
            _loop = Task.Run(RunAsync, CancellationToken.None);
        try
        {
            await _firstConnect.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new MqttConnectionException(
                $"client '{ClientId}' could not connect to {_options.Host}:{_options.Port} within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Publishes one message. QoS 1 completes on the broker's PUBACK, QoS 0 once written to the socket. While
    /// disconnected the message waits for the next connection, and one whose connection is lost before its PUBACK is
    /// sent again after reconnecting (at least once, as paho does for daprd); cancel to stop waiting.
    /// </summary>
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, int qos, bool retain, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            MqttTopicValidator.ThrowIfInvalid(topic);
        }
        catch (MqttProtocolViolationException e)
        {
            throw new MqttConnectionException($"cannot publish to '{topic}': {e.Message}", e);
        }
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayloadSegment(payload)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)qos)
            .WithRetainFlag(retain)
            .Build();
        IMqttClient? lost = null;
        while (true)
        {
            var client = await ConnectedClientAsync(lost, cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
                if (!result.IsSuccess)
                    throw new MqttConnectionException($"the broker refused the message to '{topic}': {result.ReasonCode}");
                return;
            }
            catch (Exception e) when (e is MqttCommunicationException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
            {
                lost = client;
            }
        }
    }

    /// <summary>
    /// Ends <see cref="Messages"/> once what was received is read. Messages that arrive afterwards are not passed on
    /// and, when acknowledged manually, not acknowledged: the broker keeps them for a persistent session.
    /// </summary>
    public void StopReceiving() => _messages.Writer.TryComplete();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop) await loop.ConfigureAwait(false);
        _messages.Writer.TryComplete();
        lock (_stateLock)
        {
            _connection.TrySetException(new MqttConnectionException($"client '{ClientId}' is closed"));
            _ = _connection.Task.Exception;
        }
        _firstConnect.TrySetException(new ObjectDisposedException(nameof(MqttConnection)));
        _ = _firstConnect.Task.Exception;
        _firstSubscribe.TrySetCanceled();
        _disposing.Dispose();
    }

    /// <summary>Connects, serves the connection until it is lost, waits the backoff, and again, until disposed.</summary>
    private async Task RunAsync()
    {
        var stop = _disposing.Token;
        var initialDelay = TimeSpan.FromSeconds(_options.ReconnectDelaySeconds);
        var maxDelay = TimeSpan.FromSeconds(_options.ReconnectDelayMaxSeconds);
        var delay = initialDelay;
        while (!stop.IsCancellationRequested)
        {
            var client = Factory.CreateMqttClient();
            var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.DisconnectedAsync += e =>
            {
                disconnected.TrySetResult(e);
                return Task.CompletedTask;
            };
            client.ApplicationMessageReceivedAsync += e => OnMessageReceived(client, e);
            try
            {
                var failure = await ConnectOnceAsync(client, stop).ConfigureAwait(false);
                if (failure is null)
                {
                    delay = initialDelay;
                    await SubscribeAsync(client, stop).ConfigureAwait(false);
                    var lostBecause = await WaitUntilLostAsync(disconnected.Task, stop).ConfigureAwait(false);
                    if (lostBecause is null)
                    {
                        await SayGoodbyeAsync(client).ConfigureAwait(false);
                        return;
                    }
                    Log.ConnectionLost(_logger, ClientId, lostBecause);
                }
                else if (!stop.IsCancellationRequested)
                {
                    Log.ConnectRetrying(_logger, ClientId, _options.Host, _options.Port, failure, delay.TotalSeconds);
                }
            }
            catch (Exception e)
            {
                // Nothing may end the loop but disposal: a connection that stopped retrying would be silently dead.
                if (!stop.IsCancellationRequested) Log.LoopFailed(_logger, ClientId, e);
            }
            finally
            {
                MarkDisconnected(client);
                client.Dispose();
            }
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = delay * 2 > maxDelay ? maxDelay : delay * 2;
        }
    }

    /// <summary>One connection attempt: null when the broker accepted it, otherwise why not.</summary>
    private async Task<string?> ConnectOnceAsync(IMqttClient client, CancellationToken stop)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
        attempt.CancelAfter(AttemptTimeout);
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(_clientOptions, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return $"no answer within {AttemptTimeout.TotalSeconds:0} s";
        }
        catch (OperationCanceledException)
        {
            return "closing";
        }
        catch (Exception e)
        {
            return e.GetBaseException().Message;
        }
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            var reason = Describe(result.ResultCode);
            Log.ConnectRefused(_logger, ClientId, reason);
            _firstConnect.TrySetException(new MqttConnectionException($"broker refused client '{ClientId}': {reason}"));
            return $"refused: {reason}";
        }
        lock (_stateLock) _connection.TrySetResult(client);
        var count = Interlocked.Increment(ref _connectCount);
        Log.Connected(_logger, ClientId, _options.Host, _options.Port, count > 1);
        _firstConnect.TrySetResult();
        return null;
    }

    /// <summary>Subscribes again on every connection: a broker that restarted, or a clean session, has forgotten them.</summary>
    private async Task SubscribeAsync(IMqttClient client, CancellationToken stop)
    {
        if (_subscribeOptions is null)
        {
            _firstSubscribe.TrySetResult();
            return;
        }
        var filters = string.Join(", ", _options.Subscriptions);
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
            attempt.CancelAfter(AttemptTimeout);
            var result = await client.SubscribeAsync(_subscribeOptions, attempt.Token).ConfigureAwait(false);
            // A code of 0x80 or more is the broker refusing that filter (ACL, invalid filter).
            if (result.Items.Any(item => (int)item.ResultCode >= 0x80))
            {
                Log.SubscriptionRejected(_logger, ClientId, filters);
                return;
            }
            Log.Subscribed(_logger, ClientId, filters);
            Interlocked.Increment(ref _subscribeCount);
            _firstSubscribe.TrySetResult();
        }
        catch (Exception e)
        {
            // Most likely the connection is going away (or being closed); the reconnect subscribes again.
            if (!stop.IsCancellationRequested) Log.SubscribeFailed(_logger, ClientId, filters, e.GetBaseException().Message);
        }
    }

    /// <summary>Why the connection was lost, or null when the connection is being disposed.</summary>
    private static async Task<string?> WaitUntilLostAsync(Task<MqttClientDisconnectedEventArgs> disconnected, CancellationToken stop)
    {
        try
        {
            var e = await disconnected.WaitAsync(stop).ConfigureAwait(false);
            return e.Exception?.GetBaseException().Message ?? e.ReasonString ?? e.Reason.ToString();
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task SayGoodbyeAsync(IMqttClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(GoodbyeTimeout);
            await client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = MqttClientDisconnectOptionsReason.NormalDisconnection },
                timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The connection is closed either way; only the DISCONNECT packet may not have reached the broker.
            Log.GoodbyeFailed(_logger, ClientId, e.GetBaseException().Message);
        }
    }

    private void MarkDisconnected(IMqttClient client)
    {
        lock (_stateLock)
        {
            if (_connection.Task.IsCompletedSuccessfully && _connection.Task.Result == client)
                _connection = new TaskCompletionSource<IMqttClient>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>The client of the current connection, waiting for one if needed; never <paramref name="lost"/>.</summary>
    private async Task<IMqttClient> ConnectedClientAsync(IMqttClient? lost, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<IMqttClient> connection;
            lock (_stateLock) connection = _connection.Task;
            var client = await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (client != lost) return client;
            // The lost client stays recorded as connected until the loop has handled its disconnect.
            await Task.Delay(StaleClientPause, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task OnMessageReceived(IMqttClient client, MqttApplicationMessageReceivedEventArgs e)
    {
        var message = e.ApplicationMessage;
        var qos = (int)message.QualityOfServiceLevel;
        Func<CancellationToken, Task<bool>>? acknowledge = null;
        if (_options.AcknowledgeManually && qos > 0)
        {
            e.AutoAcknowledge = false;
            acknowledge = token => AcknowledgeAsync(client, e, token);
        }
        Interlocked.Increment(ref _receivedCount);
        // Fails only after StopReceiving: the message is then left to the broker.
        _messages.Writer.TryWrite(new MqttMessage(message.Topic, message.Payload.ToArray(), qos, message.Retain, acknowledge));
        return Task.CompletedTask;
    }

    private async Task<bool> AcknowledgeAsync(IMqttClient client, MqttApplicationMessageReceivedEventArgs e, CancellationToken cancellationToken)
    {
        if (!client.IsConnected) return false;
        try
        {
            await e.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        // The connection can close under the send; MQTTnet then fails in one of several ways, a cleared channel
        // (NullReferenceException) among them. Either way the broker did not get the PUBACK and still owns the message.
        catch (Exception ex) when (ex is MqttCommunicationException or ObjectDisposedException or NullReferenceException
                                       or OperationCanceledException or IOException)
        {
            Log.AcknowledgeFailed(_logger, ClientId, message: ex.GetBaseException().Message);
            return false;
        }
    }

    private static MqttClientOptions BuildClientOptions(MqttConnectionOptions options)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId(options.ClientId)
            .WithCleanSession(options.CleanSession)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(options.KeepAliveSeconds))
            .WithTimeout(AttemptTimeout)
            .WithProtocolVersion(options.Mqtt5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311);
        if (options.Mqtt5)
        {
            builder.WithReceiveMaximum(options.ReceiveMaximum);
            if (!options.CleanSession) builder.WithSessionExpiryInterval(uint.MaxValue);
        }
        if (options.Username is not null) builder.WithCredentials(options.Username, options.Password);
        if (options.Tls is { } tls) builder.WithTlsOptions(ConfigureTls(options.Host, tls));
        return builder.Build();
    }

    private static MqttClientTlsOptions ConfigureTls(string host, MqttTlsOptions tls)
    {
        var builder = new MqttClientTlsOptionsBuilder()
            .UseTls()
            .WithTargetHost(host)
            // Go's crypto/tls, which daprd uses, checks no revocation either.
            .WithRevocationMode(X509RevocationMode.NoCheck);
        try
        {
            if (tls.CaCertificatePem is { } caPem)
            {
                var trusted = new X509Certificate2Collection();
                trusted.ImportFromPem(caPem);
                builder.WithTrustChain(trusted);
            }
            if (tls.ClientCertificatePem is { } certificatePem && tls.ClientKeyPem is { } keyPem)
                builder.WithClientCertificates([X509Certificate2.CreateFromPem(certificatePem, keyPem)]);
        }
        catch (CryptographicException e)
        {
            throw new MqttConnectionException($"cannot load the TLS certificates: {e.Message}", e);
        }
        return builder.Build();
    }

    private static string Describe(MqttClientConnectResultCode code) => code switch
    {
        MqttClientConnectResultCode.BadUserNameOrPassword => "bad user name or password",
        MqttClientConnectResultCode.NotAuthorized => "not authorized",
        MqttClientConnectResultCode.ClientIdentifierNotValid => "client identifier not valid",
        MqttClientConnectResultCode.UnsupportedProtocolVersion => "unsupported protocol version",
        MqttClientConnectResultCode.ServerUnavailable => "server unavailable",
        MqttClientConnectResultCode.ServerBusy => "server busy",
        MqttClientConnectResultCode.Banned => "banned",
        _ => code.ToString(),
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "MQTT client {ClientId} connected to {Host}:{Port} (reconnect: {Reconnect})")]
        public static partial void Connected(ILogger logger, string clientId, string host, int port, bool reconnect);

        [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT client {ClientId} cannot connect to {Host}:{Port} ({Reason}); retrying in {DelaySeconds} s")]
        public static partial void ConnectRetrying(ILogger logger, string clientId, string host, int port, string reason, double delaySeconds);

        [LoggerMessage(Level = LogLevel.Error, Message = "Broker refused MQTT client {ClientId}: {Reason}")]
        public static partial void ConnectRefused(ILogger logger, string clientId, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Connection with broker with client ID '{ClientId}' lost: {Reason}; reconnecting")]
        public static partial void ConnectionLost(ILogger logger, string clientId, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "MQTT client {ClientId} subscribed to {Filters}")]
        public static partial void Subscribed(ILogger logger, string clientId, string filters);

        [LoggerMessage(Level = LogLevel.Error, Message = "Broker rejected the subscription of MQTT client {ClientId} to {Filters}")]
        public static partial void SubscriptionRejected(ILogger logger, string clientId, string filters);

        [LoggerMessage(Level = LogLevel.Error, Message = "MQTT client {ClientId} could not subscribe to {Filters}: {Reason}")]
        public static partial void SubscribeFailed(ILogger logger, string clientId, string filters, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT client {ClientId}: the DISCONNECT was not sent ({Reason})")]
        public static partial void GoodbyeFailed(ILogger logger, string clientId, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "MQTT client {ClientId}: a PUBACK was not sent ({Message}); the broker keeps the message")]
        public static partial void AcknowledgeFailed(ILogger logger, string clientId, string message);

        [LoggerMessage(Level = LogLevel.Critical, Message = "MQTT client {ClientId}: connection attempt failed unexpectedly; retrying")]
        public static partial void LoopFailed(ILogger logger, string clientId, Exception exception);
    }
}
