using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace DaprIoT.LocalRuntime.Redis;

/// <summary>
/// One TCP connection to Redis with pipelining: commands are written in call order under a lock and their
/// replies, which Redis sends in the same order, complete a FIFO of pending calls from one reader loop.
/// A broken connection fails every pending call; <see cref="RedisClient"/> then opens a new one.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Queue<TaskCompletionSource<RespValue>> _pending = new();
    private readonly Lock _pendingGate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Task _readLoop;
    private Exception? _failure;

    private RedisConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    public bool IsBroken => _failure is not null;

    public static async Task<RedisConnection> OpenAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new RedisConnectionException($"Cannot connect to Redis at {options.Host}:{options.Port}: {e.Message}", e);
        }
        var connection = new RedisConnection(socket);
        try
        {
            if (options.Password is { } password)
            {
                object[] auth = options.Username is { } user ? ["AUTH", user, password] : ["AUTH", password];
                Check(await connection.SendAsync([auth], cancellationToken));
            }
            if (options.Database != 0) Check(await connection.SendAsync([["SELECT", options.Database]], cancellationToken));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        return connection;

        static void Check(RespValue[] replies)
        {
            if (replies[0].Type == RespType.Error) throw new RedisServerException(replies[0].Text!);
        }
    }

    /// <summary>Writes the commands back to back (nothing else is interleaved) and returns their replies, errors included.</summary>
    public async Task<RespValue[]> SendAsync(IReadOnlyList<IReadOnlyList<object>> commands, CancellationToken cancellationToken)
    {
        var replies = new Task<RespValue>[commands.Count];
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            if (_failure is { } failure) throw new RedisConnectionException("The Redis connection is closed", failure);
            _buffer.ResetWrittenCount();
            foreach (var command in commands) RespProtocol.WriteCommand(_buffer, command);
            lock (_pendingGate)
            {
                for (var i = 0; i < commands.Count; i++)
                {
                    var reply = new TaskCompletionSource<RespValue>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _pending.Enqueue(reply);
                    replies[i] = reply.Task;
                }
            }
            // Not cancellable once queued: a half-written command would desynchronise the stream.
            await _stream.WriteAsync(_buffer.WrittenMemory, CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // ObjectDisposedException: the reader saw the server close the socket between our check and the write.
            Fail(new RedisConnectionException("Writing to Redis failed", e));
            throw new RedisConnectionException("Writing to Redis failed", e);
        }
        finally
        {
            _writeGate.Release();
        }
        var results = new RespValue[replies.Length];
        for (var i = 0; i < replies.Length; i++) results[i] = await replies[i].WaitAsync(cancellationToken);
        return results;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var read = await _reader.ReadAsync();
                var buffer = read.Buffer;
                var reader = new SequenceReader<byte>(buffer);
                while (RespProtocol.TryParse(ref reader, out var value))
                {
                    TaskCompletionSource<RespValue>? waiter;
                    lock (_pendingGate) _pending.TryDequeue(out waiter);
                    if (waiter is null) throw new RedisConnectionException("Redis sent a reply nobody asked for");
                    waiter.TrySetResult(value);
                }
                _reader.AdvanceTo(reader.Position, buffer.End);
                if (read.IsCompleted) throw new RedisConnectionException("Redis closed the connection");
            }
        }
        catch (Exception e)
        {
            Fail(e is RedisConnectionException ? e : new RedisConnectionException("Reading from Redis failed", e));
        }
    }

    private void Fail(Exception failure)
    {
        _failure ??= failure;
        lock (_pendingGate)
        {
            while (_pending.TryDequeue(out var waiter)) waiter.TrySetException(_failure);
        }
        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new RedisConnectionException("The Redis connection was disposed"));
        await _readLoop;
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
        _writeGate.Dispose();
    }
}
