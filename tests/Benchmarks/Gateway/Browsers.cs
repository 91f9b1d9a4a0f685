using System.Diagnostics;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Benchmarks.Gateway;

/// <summary>
/// Browsers held open on the device hub: one official SignalR client connection per user, each with that user's
/// own access token, over WebSockets without negotiation (as the web UI connects through the edge). A connection
/// counts as held once its <c>snapshot</c> arrived: the server authenticated it, joined it to its user's group and
/// read the user's devices. Every <c>deviceChanged</c> is stamped on arrival and handed to <see cref="OnChange"/>.
/// </summary>
public sealed class Browsers(string gatewayUrl, Func<string, string> token) : IAsyncDisposable
{
    public const string SnapshotMethod = "snapshot";
    public const string DeviceChangedMethod = "deviceChanged";

    private readonly List<HubConnection> _connections = [];
    private long _closed;
    private string? _firstCloseReason;
    private long _changes;

    public static string UserId(int user) => $"bench-user-{user:D5}";

    public int Held { get; private set; }

    /// <summary>Connections the server closed after they were held.</summary>
    public long Closed => Interlocked.Read(ref _closed);

    /// <summary>Why the first held connection closed, as the client reported it.</summary>
    public string? FirstCloseReason => _firstCloseReason;

    /// <summary>Every <c>deviceChanged</c> received so far, measured or not.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>Called on the connection's receive loop with the change and <see cref="Stopwatch.GetTimestamp"/> at its arrival.</summary>
    public Action<DeviceEvent, long>? OnChange { get; set; }

    /// <summary>Opens connections for users <c>0…count-1</c>, <paramref name="concurrency"/> at a time; returns failures by reason.</summary>
    public async Task<Dictionary<string, int>> ConnectAsync(int count, int concurrency, CancellationToken ct)
    {
        var failures = new Dictionary<string, int>();
        using var gate = new SemaphoreSlim(concurrency);
        var attempts = Enumerable.Range(_connections.Count, count).Select(async user =>
        {
            await gate.WaitAsync(ct);
            try
            {
                var (connection, error) = await OpenAsync(user, ct);
                lock (failures)
                {
                    if (connection is not null) { _connections.Add(connection); Held++; }
                    else failures[error!] = failures.GetValueOrDefault(error!) + 1;
                }
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(attempts);
        return failures;
    }

    private async Task<(HubConnection?, string?)> OpenAsync(int user, CancellationToken ct)
    {
        var userId = UserId(user);
        var connection = new HubConnectionBuilder()
            .WithUrl($"{gatewayUrl}/hubs/devices", HttpTransportType.WebSockets, options =>
            {
                options.SkipNegotiation = true;
                // A fresh token on every (re)connect, as the web UI asks auth for one.
                options.AccessTokenProvider = () => Task.FromResult<string?>(token(userId));
            })
            .AddJsonProtocol(options => options.PayloadSerializerOptions = new JsonSerializerOptions(ContractJson.Options))
            .Build();
        var snapshot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.On<JsonElement>(SnapshotMethod, _ => snapshot.TrySetResult());
        connection.On<DeviceEvent>(DeviceChangedMethod, change =>
        {
            var at = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref _changes);
            OnChange?.Invoke(change, at);
        });
        connection.Closed += error =>
        {
            if (snapshot.Task.IsCompletedSuccessfully && Interlocked.Increment(ref _closed) == 1)
                _firstCloseReason = $"{DateTime.UtcNow:HH:mm:ss} UTC: {error?.GetType().Name ?? "closed by the server"}: {error?.Message}";
            snapshot.TrySetException(new InvalidOperationException("closed before its snapshot"));
            return Task.CompletedTask;
        };
        try
        {
            await connection.StartAsync(ct);
            await snapshot.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
            return (connection, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            await connection.DisposeAsync();
            var reason = e.InnerException is { } inner ? $"{e.GetType().Name}: {inner.GetType().Name}: {inner.Message}" : $"{e.GetType().Name}: {e.Message}";
            return (null, reason.Length > 160 ? reason[..160] : reason);
        }
    }

    public async ValueTask DisposeAsync()
    {
        OnChange = null;
        // Closed a batch at a time: closing thousands at once only queues them behind each other.
        foreach (var batch in _connections.Chunk(500)) await Task.WhenAll(batch.Select(c => c.DisposeAsync().AsTask()));
        _connections.Clear();
    }
}
