using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using DaprIoT.LocalRuntime.Bindings.Mqtt.Native;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// One MQTT 3.1.1 connection through libmosquitto, with one network thread per client doing all I/O,
/// reconnecting with backoff; libmosquitto resends unacknowledged QoS 1 messages. This class resubscribes on every
/// connect, completes <see cref="PublishAsync"/> on the broker's PUBACK, and hands received messages to
/// <see cref="Messages"/>. Callbacks run on the network thread and find this object through a GCHandle passed
/// as libmosquitto's user data, so nothing unmanaged points at a movable object or a collectable delegate.
/// </summary>
public sealed partial class MosquittoClient : IAsyncDisposable
{
    private const string SystemCaPath = "/etc/ssl/certs";
    private static readonly Lock InitLock = new();
    private static bool _initialized;

    private readonly MosquittoClientOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _publishLock = new();
    private readonly Dictionary<int, TaskCompletionSource> _pendingPublishes = [];
    private readonly Channel<MqttMessage> _messages;
    private readonly CancellationTokenSource _disposing = new();
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstSubscribe = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GCHandle _self;
    private Thread? _networkThread;
    private nint _handle;
    private int _started;
    private int _disposed;
    private volatile bool _connected;
    private long _connectCount;
    private long _receivedCount;
    private long _subackCount;

    public unsafe MosquittoClient(MosquittoClientOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _messages = Channel.CreateBounded<MqttMessage>(new BoundedChannelOptions(options.ReceiveBufferCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        EnsureLibraryInitialized();
        _self = GCHandle.Alloc(this);
        _handle = LibMosquitto.New(options.ClientId, options.CleanSession, GCHandle.ToIntPtr(_self));
        if (_handle == 0)
        {
            _self.Free();
            throw new MosquittoException($"mosquitto_new failed for client id '{options.ClientId}'");
        }
        try
        {
            Check(LibMosquitto.IntOption(_handle, LibMosquitto.OptProtocolVersion,
                options.Mqtt5 ? LibMosquitto.ProtocolV5 : LibMosquitto.ProtocolV311), "mosquitto_int_option");
            if (options.Mqtt5)
                Check(LibMosquitto.IntOption(_handle, LibMosquitto.OptReceiveMaximum, ushort.MaxValue), "mosquitto_int_option");
            Check(LibMosquitto.IntOption(_handle, LibMosquitto.OptTcpNoDelay, 1), "mosquitto_int_option");
            if (options.Username is not null)
                Check(LibMosquitto.UsernamePwSet(_handle, options.Username, options.Password), "mosquitto_username_pw_set");
            if (options.Tls is { } tls)
            {
                // Without a CA of its own the connection trusts the system's CAs, as Go's crypto/tls does in daprd.
                Check(LibMosquitto.TlsSet(_handle, tls.CaFile, tls.CaFile is null ? SystemCaPath : null, tls.CertFile, tls.KeyFile, 0),
                    "mosquitto_tls_set");
            }
            Check(LibMosquitto.ThreadedSet(_handle, true), "mosquitto_threaded_set");
            LibMosquitto.ConnectCallbackSet(_handle, &OnConnect);
            LibMosquitto.DisconnectCallbackSet(_handle, &OnDisconnect);
            LibMosquitto.PublishCallbackSet(_handle, &OnPublish);
            LibMosquitto.MessageCallbackSet(_handle, &OnMessage);
            LibMosquitto.SubscribeCallbackSet(_handle, &OnSubscribe);
        }
        catch
        {
            LibMosquitto.Destroy(_handle);
            _self.Free();
            throw;
        }
    }

    public string ClientId => _options.ClientId;

    public bool IsConnected => _connected;

    /// <summary>How many times a CONNACK accepted this client: 1 after the first connect, +1 per reconnect.</summary>
    public long ConnectCount => Interlocked.Read(ref _connectCount);

    public long ReceivedCount => Interlocked.Read(ref _receivedCount);

    /// <summary>How many times the broker acknowledged the subscriptions: once per (re)connect when all is well.</summary>
    public long SubscribeCount => Interlocked.Read(ref _subackCount);

    /// <summary>Messages on the subscribed topics, in the order the broker sent them.</summary>
    public ChannelReader<MqttMessage> Messages => _messages.Reader;

    /// <summary>Completes when the broker first acknowledged the subscriptions (immediately when there are none).</summary>
    public Task Subscribed => _firstSubscribe.Task;

    /// <summary>
    /// Starts the network thread and waits for the first accepted connection. The thread keeps trying in the
    /// background after a timeout or refusal; dispose the client to stop it.
    /// </summary>
    public async Task ConnectAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _networkThread = new Thread(RunNetworkThread) { IsBackground = true, Name = $"mqtt {ClientId}" };
            _networkThread.Start();
        }
        try
        {
            await _firstConnect.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new MosquittoException(
                $"client '{ClientId}' could not connect to {_options.Host}:{_options.Port} within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Publishes one message. QoS 1 completes on the broker's PUBACK, QoS 0 once written to the socket. While
    /// disconnected, libmosquitto queues QoS 1 messages and sends them after reconnecting, so the returned task
    /// simply completes later; cancel it to stop waiting (the message may still be delivered).
    /// </summary>
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, int qos, bool retain, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int mid;
        // The lock covers the call and the registration of its message id, so the PUBACK callback (which takes
        // the same lock on the network thread) can never look the id up before it is registered.
        lock (_publishLock)
        {
            // Checked under the lock that DisposeAsync takes to destroy the handle: never a call on a freed client.
            if (_handle == 0) throw new MosquittoException($"client '{ClientId}' is closed");
            var rc = PublishNative(topic, payload.Span, qos, retain, out mid);
            var queuedWhileOffline = rc == LibMosquitto.ErrNoConn && qos > 0;
            if (rc != LibMosquitto.Success && !queuedWhileOffline)
                throw new MosquittoException($"cannot publish to '{topic}': {LibMosquitto.Describe(rc)}");
            _pendingPublishes[mid] = done;
        }
        try
        {
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_publishLock)
            {
                if (_pendingPublishes.TryGetValue(mid, out var registered) && registered == done)
                    _pendingPublishes.Remove(mid);
            }
        }
    }

    private unsafe int PublishNative(string topic, ReadOnlySpan<byte> payload, int qos, bool retain, out int mid)
    {
        fixed (byte* data = payload)
            return LibMosquitto.Publish(_handle, out mid, topic, payload.Length, data, qos, retain);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Wakes the network thread from a backoff wait or from a full receive buffer, so it can say goodbye.
        await _disposing.CancelAsync().ConfigureAwait(false);
        _messages.Writer.TryComplete();
        if (_networkThread is { } thread) await Task.Run(thread.Join).ConfigureAwait(false);
        lock (_publishLock)
        {
            LibMosquitto.Destroy(_handle);
            _handle = 0;
            foreach (var pending in _pendingPublishes.Values)
                pending.TrySetException(new MosquittoException($"client '{ClientId}' closed before the broker acknowledged"));
            _pendingPublishes.Clear();
        }
        _self.Free();
        _firstConnect.TrySetException(new ObjectDisposedException(nameof(MosquittoClient)));
        _ = _firstConnect.Task.Exception;
        _firstSubscribe.TrySetCanceled();
        _disposing.Dispose();
    }

    private void RunNetworkThread()
    {
        try
        {
            RunNetworkLoop();
        }
        catch (Exception e)
        {
            // An exception escaping a thread would end the whole runtime; this client just stops instead.
            Log.NetworkThreadFailed(_logger, ClientId, e);
            _connected = false;
            _firstConnect.TrySetException(new MosquittoException($"client '{ClientId}' stopped: {e.Message}"));
        }
    }

    /// <summary>
    /// The only thread doing socket I/O for this client: connects, runs <c>mosquitto_loop</c> (which also sends
    /// keep-alive pings and resends unacknowledged QoS 1 messages), and reconnects with a doubling backoff.
    /// Our own loop rather than <c>mosquitto_loop_start</c>: that one gives up when the very first connect is
    /// refused and sleeps through its backoff uninterruptibly, so closing could stall for the whole delay.
    /// </summary>
    private void RunNetworkLoop()
    {
        var stop = _disposing.Token;
        var delay = TimeSpan.FromSeconds(_options.ReconnectDelaySeconds);
        var maxDelay = TimeSpan.FromSeconds(_options.ReconnectDelayMaxSeconds);
        var everConnected = false;
        while (!stop.IsCancellationRequested)
        {
            // libmosquitto sends the first connect's properties (the MQTT 5 session expiry) again on every reconnect;
            // MqttBrokerRestartTests checks that a session made on a reconnect still outlives a disconnect.
            var rc = everConnected ? LibMosquitto.Reconnect(_handle) : FirstConnect();
            if (rc == LibMosquitto.Success)
            {
                everConnected = true;
                var connectsBefore = ConnectCount;
                while (!stop.IsCancellationRequested)
                {
                    rc = LibMosquitto.Loop(_handle, 100, 1);
                    if (rc != LibMosquitto.Success) break;
                    if (ConnectCount != connectsBefore) delay = TimeSpan.FromSeconds(_options.ReconnectDelaySeconds);
                }
                if (stop.IsCancellationRequested)
                {
                    LibMosquitto.Disconnect(_handle);
                    LibMosquitto.Loop(_handle, 100, 1); // writes the DISCONNECT packet and closes the socket
                    return;
                }
            }
            else
            {
                var reason = rc == LibMosquitto.ErrErrno ? Marshal.GetLastPInvokeErrorMessage() : LibMosquitto.Describe(rc);
                Log.ConnectRetrying(_logger, ClientId, _options.Host, _options.Port, reason, delay.TotalSeconds);
            }
            _connected = false;
            if (stop.WaitHandle.WaitOne(delay)) return;
            delay = delay * 2 > maxDelay ? maxDelay : delay * 2;
        }
    }

    private int FirstConnect()
    {
        if (!_options.Mqtt5 || _options.CleanSession)
            return LibMosquitto.Connect(_handle, _options.Host, _options.Port, _options.KeepAliveSeconds);
        nint properties = 0;
        try
        {
            Check(LibMosquitto.PropertyAddInt32(ref properties, LibMosquitto.PropSessionExpiryInterval, uint.MaxValue),
                "mosquitto_property_add_int32");
            return LibMosquitto.ConnectV5(_handle, _options.Host, _options.Port, _options.KeepAliveSeconds, null, properties);
        }
        finally
        {
            LibMosquitto.PropertyFreeAll(ref properties);
        }
    }

    private static void EnsureLibraryInitialized()
    {
        // mosquitto_lib_init is the one libmosquitto function that is not thread safe.
        lock (InitLock)
        {
            if (_initialized) return;
            try
            {
                Check(LibMosquitto.LibInit(), "mosquitto_lib_init");
            }
            catch (DllNotFoundException)
            {
                throw new MosquittoException(
                    "libmosquitto.so.1 is not installed; MQTT bindings need it (Debian: apt-get install libmosquitto1, or run deploy/local/prerequisites.sh)");
            }
            _initialized = true;
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != LibMosquitto.Success) throw new MosquittoException($"{call} failed: {LibMosquitto.Describe(rc)}");
    }

    private static MosquittoClient? From(nint userData) =>
        userData == 0 ? null : GCHandle.FromIntPtr(userData).Target as MosquittoClient;

    // Exceptions must never unwind into libmosquitto's C frames: every callback catches and logs.

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnConnect(nint mosq, nint userData, int rc)
    {
        if (From(userData) is not { } client) return;
        try { client.HandleConnect(rc); }
        catch (Exception e) { Log.CallbackFailed(client._logger, client.ClientId, "connect", e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnDisconnect(nint mosq, nint userData, int rc)
    {
        if (From(userData) is not { } client) return;
        try { client.HandleDisconnect(rc); }
        catch (Exception e) { Log.CallbackFailed(client._logger, client.ClientId, "disconnect", e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnPublish(nint mosq, nint userData, int mid)
    {
        if (From(userData) is not { } client) return;
        try { client.HandlePublished(mid); }
        catch (Exception e) { Log.CallbackFailed(client._logger, client.ClientId, "publish", e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnMessage(nint mosq, nint userData, MosquittoMessage* message)
    {
        if (From(userData) is not { } client) return;
        try { client.HandleMessage(message); }
        catch (Exception e) { Log.CallbackFailed(client._logger, client.ClientId, "message", e); }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnSubscribe(nint mosq, nint userData, int mid, int qosCount, int* grantedQos)
    {
        if (From(userData) is not { } client) return;
        try { client.HandleSubscribed(new ReadOnlySpan<int>(grantedQos, qosCount)); }
        catch (Exception e) { Log.CallbackFailed(client._logger, client.ClientId, "subscribe", e); }
    }

    private void HandleConnect(int rc)
    {
        if (rc != 0)
        {
            var reason = LibMosquitto.DescribeConnack(rc);
            Log.ConnectRefused(_logger, ClientId, reason);
            _firstConnect.TrySetException(new MosquittoException($"broker refused client '{ClientId}': {reason}"));
            return;
        }
        _connected = true;
        var count = Interlocked.Increment(ref _connectCount);
        Log.Connected(_logger, ClientId, _options.Host, _options.Port, count > 1);
        // A broker that restarted without persistence, or a clean session, has forgotten our subscriptions.
        foreach (var filter in _options.Subscriptions)
        {
            var subscribeRc = LibMosquitto.Subscribe(_handle, out _, filter, _options.SubscriptionQos);
            if (subscribeRc != LibMosquitto.Success)
                Log.SubscribeFailed(_logger, ClientId, filter, LibMosquitto.Describe(subscribeRc));
        }
        if (_options.Subscriptions.Count == 0) _firstSubscribe.TrySetResult();
        _firstConnect.TrySetResult();
    }

    private void HandleDisconnect(int rc)
    {
        _connected = false;
        if (Volatile.Read(ref _disposed) != 0) return;
        Log.ConnectionLost(_logger, ClientId, rc == 0 ? "disconnected" : LibMosquitto.Describe(rc));
    }

    private void HandlePublished(int mid)
    {
        TaskCompletionSource? done;
        lock (_publishLock)
        {
            _pendingPublishes.Remove(mid, out done);
        }
        done?.TrySetResult();
    }

    private unsafe void HandleMessage(MosquittoMessage* message)
    {
        var topic = Marshal.PtrToStringUTF8(message->Topic) ?? "";
        var payload = message->PayloadLength == 0
            ? []
            : new ReadOnlySpan<byte>((void*)message->Payload, message->PayloadLength).ToArray();
        var copy = new MqttMessage(topic, payload, message->Qos, message->Retain != 0);
        Interlocked.Increment(ref _receivedCount);
        if (_messages.Writer.TryWrite(copy)) return;
        try
        {
            // Full buffer: hold the network thread (and so the broker) until the reader catches up.
            _messages.Writer.WriteAsync(copy, _disposing.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            // Closing: the message is dropped with the connection, exactly as if it had arrived a moment later.
        }
    }

    private void HandleSubscribed(ReadOnlySpan<int> grantedQos)
    {
        // 0x80 in a SUBACK is the broker refusing that filter (ACL, invalid filter).
        if (grantedQos.Contains(0x80))
        {
            Log.SubscriptionRejected(_logger, ClientId, string.Join(", ", _options.Subscriptions));
            return;
        }
        Log.Subscribed(_logger, ClientId, string.Join(", ", _options.Subscriptions));
        Interlocked.Increment(ref _subackCount);
        _firstSubscribe.TrySetResult();
    }

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

        [LoggerMessage(Level = LogLevel.Error, Message = "MQTT client {ClientId} could not subscribe to {Filter}: {Reason}")]
        public static partial void SubscribeFailed(ILogger logger, string clientId, string filter, string reason);

        [LoggerMessage(Level = LogLevel.Critical, Message = "MQTT client {ClientId}: network thread failed; the client is stopped")]
        public static partial void NetworkThreadFailed(ILogger logger, string clientId, Exception exception);

        [LoggerMessage(Level = LogLevel.Error, Message = "MQTT client {ClientId}: {Callback} callback failed")]
        public static partial void CallbackFailed(ILogger logger, string clientId, string callback, Exception exception);
    }
}
