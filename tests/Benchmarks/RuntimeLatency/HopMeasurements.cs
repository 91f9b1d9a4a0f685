using System.Diagnostics;
using System.Text.Json;
using Dapr.Actors;
using Dapr.Actors.Client;
using Dapr.Client;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using StackExchange.Redis;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>
/// Each measurement makes sequential calls (latency, not throughput) after a warm-up, with the Dapr SDK as an app
/// makes them: through the sidecar, and for the baseline the same call without it (the SDK pointed straight at
/// the app, or the same Redis or RabbitMQ operation made directly).
/// </summary>
public sealed class HopMeasurements : IAsyncDisposable
{
    private const int Actors = 16;
    private static long s_nextSeq;

    private readonly BenchmarkApp _app;
    private readonly BenchmarkOptions _options;
    private readonly DaprClient _sidecar;
    private readonly DaprClient _straightToApp;
    private readonly string _sidecarHttp;
    private readonly string _appHttp;
    private readonly string _keyPrefix = $"bench-{Guid.NewGuid():N}";

    public HopMeasurements(BenchmarkApp app, RuntimeUnderTest runtime, BenchmarkOptions options)
    {
        _app = app;
        _options = options;
        _sidecarHttp = $"http://127.0.0.1:{runtime.SidecarPort}";
        _appHttp = $"http://127.0.0.1:{app.Port}";
        _sidecar = new DaprClientBuilder().UseHttpEndpoint(_sidecarHttp).UseGrpcEndpoint($"http://127.0.0.1:{runtime.GrpcPort}").Build();
        _straightToApp = new DaprClientBuilder().UseHttpEndpoint(_appHttp).Build();
    }

    public Task<LatencySample> InvokeAsync(bool viaSidecar)
    {
        var client = viaSidecar ? _sidecar : _straightToApp;
        return MeasureAsync(async _ =>
        {
            using var request = client.CreateInvokeMethodRequest(HttpMethod.Post, BenchmarkApp.AppId, "echo");
            // The SDK marks HTTP invocation through DaprClient obsolete in favour of a plain HttpClient, but apps
            // still call it, and it is the call this hop is about.
#pragma warning disable CS0618
            await client.InvokeMethodAsync(request);
#pragma warning restore CS0618
        });
    }

    public async Task<LatencySample> ActorAsync(bool viaSidecar)
    {
        var factory = new ActorProxyFactory(new ActorProxyOptions { HttpEndpoint = viaSidecar ? _sidecarHttp : _appHttp });
        var proxies = Enumerable.Range(0, Actors)
            .Select(i => factory.CreateActorProxy<IBenchActor>(new ActorId($"a{i}"), nameof(BenchActor)))
            .ToArray();
        if (viaSidecar)
        {
            // Placement may finish just after the sidecar turns healthy, as with daprd: wait up to 10 s for it.
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 10;
            while (true)
            {
                try
                {
                    await proxies[0].PingAsync();
                    break;
                }
                catch (Exception) when (Stopwatch.GetTimestamp() < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }
        return await MeasureAsync(i => proxies[i % Actors].PingAsync());
    }

    public Task<LatencySample> SaveStateAsync() =>
        MeasureAsync(i => _sidecar.SaveStateAsync(RuntimeUnderTest.StateStore, Key(i), new Probe(i, 0)));

    public Task<LatencySample> GetStateAsync() =>
        MeasureAsync(async i =>
        {
            var value = await _sidecar.GetStateAsync<Probe>(RuntimeUnderTest.StateStore, Key(i));
            if (value is null) throw new InvalidOperationException($"GetStateAsync found nothing under {Key(i)}, saved just before");
        });

    /// <summary>
    /// The baseline of a state save: the hash state.redis keeps (data and version), written with one HSET; and of a
    /// get: the same hash read back with HMGET.
    /// </summary>
    public async Task<(LatencySample Save, LatencySample Get)> RawRedisStateAsync()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
        var redis = connection.GetDatabase();
        var save = await MeasureAsync(i => redis.HashSetAsync(RawKey(i), [new("data", JsonSerializer.Serialize(new Probe(i, 0))), new("version", "1")]));
        var get = await MeasureAsync(i => redis.HashGetAsync(RawKey(i), ["data", "version"]));
        return (save, get);
    }

    public Task<LatencySample> PublishToDeliverAsync() =>
        MeasureTimestampsAsync(async () =>
        {
            var seq = Interlocked.Increment(ref s_nextSeq);
            var delivered = _app.DeliveredAsync(seq);
            var started = Stopwatch.GetTimestamp();
            await _sidecar.PublishEventAsync(BenchmarkApp.PubSub, BenchmarkApp.LatencyTopic, new Probe(seq, started));
            return (started, await delivered.WaitAsync(TimeSpan.FromSeconds(30)));
        });

    /// <summary>The broker's own latency for the same path: XADD woken up in a blocked XREAD.</summary>
    public static async Task<LatencySample> RawRedisStreamAsync(BenchmarkOptions options)
    {
        var stream = $"bench-raw-{Guid.NewGuid():N}";
        // The reader has a multiplexer of its own that carries nothing else: a blocking command holds up what is queued behind it.
        await using var writer = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
        await using var reader = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
        var writes = writer.GetDatabase();
        var reads = reader.GetDatabase();
        RedisValue lastId = "0-0";
        try
        {
            return await MeasureTimestampsAsync(options, async () =>
            {
                var read = reads.ExecuteAsync("XREAD", "BLOCK", 5000, "STREAMS", stream, lastId);
                var started = Stopwatch.GetTimestamp();
                // The next XREAD waits for entries after this one, whichever connection reaches Redis first.
                lastId = await writes.StreamAddAsync(stream, "data", "{}");
                await read;
                return (started, Stopwatch.GetTimestamp());
            });
        }
        finally
        {
            await writes.KeyDeleteAsync(stream);
        }
    }

    /// <summary>The broker's own latency: a persistent message with publisher confirms to a durable queue's consumer.</summary>
    public static async Task<LatencySample> RawRabbitMqAsync(BenchmarkOptions options)
    {
        var factory = new ConnectionFactory { Uri = new Uri("amqp://guest:guest@127.0.0.1:5672") };
        await using var connection = await factory.CreateConnectionAsync();
        await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await using var consumerChannel = await connection.CreateChannelAsync();
        var queue = (await consumerChannel.QueueDeclareAsync($"bench-raw-{Guid.NewGuid():N}", durable: true, exclusive: false, autoDelete: true)).QueueName;
        TaskCompletionSource<long> waiting = new();
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            waiting.TrySetResult(arrived);
        };
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/json" };
        var body = "{}"u8.ToArray();
        return await MeasureTimestampsAsync(options, async () =>
        {
            waiting = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = Stopwatch.GetTimestamp();
            await publisher.BasicPublishAsync("", queue, mandatory: false, properties, body);
            return (started, await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        });
    }

    // state.redis keeps key K of app "bench" under "bench||K".
    private string Key(int i) => $"{_keyPrefix}-{i % Actors}";

    private string RawKey(int i) => $"{BenchmarkApp.AppId}||{_keyPrefix}-raw-{i % Actors}";

    private Task<LatencySample> MeasureAsync(Func<int, Task> call)
    {
        var i = 0;
        return MeasureTimestampsAsync(async () =>
        {
            var started = Stopwatch.GetTimestamp();
            await call(i++);
            return (started, Stopwatch.GetTimestamp());
        });
    }

    private Task<LatencySample> MeasureTimestampsAsync(Func<Task<(long Started, long Ended)>> once) =>
        MeasureTimestampsAsync(_options, once);

    private static async Task<LatencySample> MeasureTimestampsAsync(BenchmarkOptions options, Func<Task<(long Started, long Ended)>> once)
    {
        var warming = Stopwatch.StartNew();
        for (var i = 0; i < BenchmarkOptions.MinimumWarmupCalls || warming.Elapsed < options.Warmup; i++) await once();
        var samples = new double[options.Iterations];
        for (var i = 0; i < samples.Length; i++)
        {
            var (started, ended) = await once();
            samples[i] = Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds;
        }
        return new LatencySample(samples);
    }

    public async ValueTask DisposeAsync()
    {
        // Leave nothing behind in Redis: the keys this run saved, through the sidecar and directly.
        await using var connection = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
        var redis = connection.GetDatabase();
        for (var i = 0; i < Actors; i++)
            await redis.KeyDeleteAsync([$"{BenchmarkApp.AppId}||{Key(i)}", RawKey(i)]);
        _sidecar.Dispose();
        _straightToApp.Dispose();
    }
}
