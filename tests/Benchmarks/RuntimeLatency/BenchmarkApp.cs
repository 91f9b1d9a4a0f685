using System.Collections.Concurrent;
using System.Diagnostics;
using Dapr.Actors;
using Dapr.Actors.Runtime;
using Dapr.AspNetCore;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>What every benchmark event carries: a sequence number and when it was published.</summary>
/// <param name="Sent">The publisher's <see cref="Stopwatch.GetTimestamp"/>; publisher and subscriber share this process.</param>
public sealed record Probe(long Seq, long Sent);

public interface IBenchActor : IActor
{
    Task<string> PingAsync();
}

/// <summary>The actor behind the sidecar, doing no work so the numbers show the hop.</summary>
public sealed class BenchActor(ActorHost host) : Actor(host), IBenchActor
{
    public Task<string> PingAsync() => Task.FromResult("ok");
}

/// <summary>
/// The app behind the sidecar, written as an end user writes one with the Dapr SDK: topic subscriptions with
/// <c>WithTopic</c> (one with <c>WithBulkSubscribe</c>), an actor type hosted by <c>Dapr.Actors.AspNetCore</c> and
/// an echo endpoint for service invocation. Each answers with the least work possible.
/// </summary>
public sealed class BenchmarkApp : IAsyncDisposable
{
    public const string AppId = "bench";
    public const string PubSub = "pubsub";

    /// <summary>
    /// Batches go to the app when 100 events are waiting or the oldest has waited this long. daprd's default is
    /// 1000 ms, which would dominate publish→deliver; an app that wants low latency sets it low, as here.
    /// </summary>
    public const int BulkMaxAwaitMs = 5;
    public const int BulkMaxMessages = 100;

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _deliveries = new();

    private BenchmarkApp(WebApplication app) => _app = app;

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    /// <summary>Publish→deliver latency, one event at a time.</summary>
    public static string LatencyTopic { get; } = $"bench-latency-{RunId}";

    /// <summary>Throughput of single publishes into a plain subscription.</summary>
    public static string StreamTopic { get; } = $"bench-stream-{RunId}";

    /// <summary>Throughput of bulk publishes into a bulk subscription.</summary>
    public static string BulkTopic { get; } = $"bench-bulk-{RunId}";

    public int Port { get; private set; }

    public DeliveryRecorder StreamDeliveries { get; } = new();

    public DeliveryRecorder BulkDeliveries { get; } = new();

    public static async Task<BenchmarkApp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddActors(options =>
        {
            options.Actors.RegisterActor<BenchActor>();
            // Keep the 16 benchmark actors active for the whole run, so activation is not measured.
            options.ActorIdleTimeout = TimeSpan.FromHours(1);
        });
        var app = new BenchmarkApp(builder.Build());
        app.Map();
        await app._app.StartAsync();
        var address = app._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        app.Port = new Uri(address).Port;
        return app;
    }

    /// <summary>Completes with <see cref="Stopwatch.GetTimestamp"/> when latency event <paramref name="seq"/> reaches the app.</summary>
    public Task<long> DeliveredAsync(long seq) =>
        _deliveries.GetOrAdd(seq, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private void Map()
    {
        // The baselines make the same SDK calls straight to this app, so its paths are served under the sidecar's
        // prefixes too: /v1.0/invoke/bench/method/echo is /echo, and /v1.0/actors/... is /actors/....
        // Routing must come after this rewrite, hence the explicit UseRouting.
        _app.Use((context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            var trimmed = path.TrimStart('/');
            if (trimmed.StartsWith($"v1.0/invoke/{AppId}/method/", StringComparison.Ordinal))
                context.Request.Path = "/" + trimmed[$"v1.0/invoke/{AppId}/method/".Length..];
            else if (trimmed.StartsWith("v1.0/actors/", StringComparison.Ordinal))
                context.Request.Path = "/" + trimmed["v1.0/".Length..];
            return next(context);
        });
        _app.UseRouting();
        _app.UseCloudEvents();

        _app.MapGet("/healthz", () => Results.Ok());
        _app.MapPost("/echo", () => Results.Ok());
        _app.MapActorsHandlers();
        _app.MapSubscribeHandler();

        _app.MapPost("/latency", (Probe probe) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            _deliveries.GetOrAdd(probe.Seq, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(arrived);
            return Results.Ok();
        }).WithTopic(PubSub, LatencyTopic);

        _app.MapPost("/stream", (Probe probe) =>
        {
            StreamDeliveries.RecordCall();
            StreamDeliveries.Record(probe.Sent);
            return Results.Ok();
        }).WithTopic(PubSub, StreamTopic);

        _app.MapPost("/bulk", (BulkSubscribeMessage<BulkMessageModel<Probe>> batch) =>
        {
            BulkDeliveries.RecordCall();
            var statuses = new List<BulkSubscribeAppResponseEntry>(batch.Entries.Count);
            foreach (var entry in batch.Entries)
            {
                BulkDeliveries.Record(entry.Event.Data.Sent);
                statuses.Add(new BulkSubscribeAppResponseEntry(entry.EntryId, BulkSubscribeAppResponseStatus.SUCCESS));
            }
            return Results.Json(new BulkSubscribeAppResponse(statuses));
        }).WithTopic(PubSub, BulkTopic).WithBulkSubscribe(new BulkSubscribeTopicOptions
        {
            TopicName = BulkTopic,
            MaxMessagesCount = BulkMaxMessages,
            MaxAwaitDurationMs = BulkMaxAwaitMs,
        });
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>
/// Counts deliveries (events) and the app calls that carried them, and keeps each event's publish→deliver time,
/// up to a fixed number of samples.
/// </summary>
public sealed class DeliveryRecorder
{
    // 4 M samples (32 MB) hold a 15 s phase at well over 100,000 msg/s; past that deliveries are still counted.
    private readonly double[] _milliseconds = new double[4_000_000];
    private long _count;
    private long _calls;

    public long Count => Interlocked.Read(ref _count);

    public long Calls => Interlocked.Read(ref _calls);

    public void RecordCall() => Interlocked.Increment(ref _calls);

    public void Record(long sent)
    {
        var elapsed = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        var index = Interlocked.Increment(ref _count) - 1;
        if (index < _milliseconds.Length) _milliseconds[index] = elapsed;
    }

    /// <summary>The publish→deliver times of the deliveries from the <paramref name="from"/>th on.</summary>
    public LatencySample Sample(long from = 0) =>
        new(_milliseconds.Skip((int)Math.Min(from, _milliseconds.Length)).Take((int)Math.Max(0, Math.Min(Count, _milliseconds.Length) - from)));
}
