using System.Diagnostics;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using StackExchange.Redis;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>Each measurement makes sequential calls (latency, not throughput) after a warm-up.</summary>
public sealed class HopMeasurements(BenchmarkApp app, RuntimeUnderTest runtime, BenchmarkOptions options)
{
    private static long s_nextSeq;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
    private string App => $"http://127.0.0.1:{app.Port}";
    private string Sidecar => $"http://127.0.0.1:{runtime.SidecarPort}";

    public Task<LatencySample> DirectInvokeAsync() => MeasureAsync(_ => CallAsync(HttpMethod.Post, $"{App}/echo"));

    public Task<LatencySample> SidecarInvokeAsync() =>
        MeasureAsync(_ => CallAsync(HttpMethod.Post, $"{Sidecar}/v1.0/invoke/bench/method/echo"));

    public Task<LatencySample> DirectActorAsync() =>
        MeasureAsync(i => CallAsync(HttpMethod.Put, $"{App}/actors/{BenchmarkApp.ActorType}/a{i % 16}/method/ping"));

    public async Task<LatencySample> SidecarActorAsync()
    {
        // Placement may finish just after the sidecar turns healthy, as with daprd.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await _http.PostAsync($"{Sidecar}/v1.0/actors/{BenchmarkApp.ActorType}/a0/method/ping", null)).IsSuccessStatusCode)
        {
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException("Actor calls through the sidecar keep failing");
            await Task.Delay(50);
        }
        return await MeasureAsync(i => CallAsync(HttpMethod.Post, $"{Sidecar}/v1.0/actors/{BenchmarkApp.ActorType}/a{i % 16}/method/ping"));
    }

    public async Task<LatencySample> PublishToDeliverAsync()
    {
        var url = $"{Sidecar}/v1.0/publish/pubsub/{app.Topic}";
        return await MeasureTimestampsAsync(async () =>
        {
            var seq = Interlocked.Increment(ref s_nextSeq);
            var delivered = app.DeliveredAsync(seq);
            var started = Stopwatch.GetTimestamp();
            using var body = new StringContent($$"""{"seq":{{seq}}}""", Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(url, body);
            response.EnsureSuccessStatusCode();
            return (started, await delivered.WaitAsync(TimeSpan.FromSeconds(30)));
        });
    }

    /// <summary>
    /// Messages per second from publish to delivery, one app publishing to its own subscription with
    /// <paramref name="inFlight"/> publishes outstanding at a time: the sidecar's throughput, not a latency.
    /// </summary>
    public async Task<double> PublishThroughputAsync(int messages, int inFlight)
    {
        var url = $"{Sidecar}/v1.0/publish/pubsub/{app.Topic}";
        var deliveries = new Task<long>[messages];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < messages; i = Interlocked.Increment(ref next))
            {
                var seq = Interlocked.Increment(ref s_nextSeq);
                deliveries[i] = app.DeliveredAsync(seq);
                using var body = new StringContent($$"""{"seq":{{seq}}}""", Encoding.UTF8, "application/json");
                using var response = await _http.PostAsync(url, body);
                response.EnsureSuccessStatusCode();
            }
        }));
        await Task.WhenAll(deliveries).WaitAsync(TimeSpan.FromSeconds(60));
        return messages / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    /// <summary>
    /// The broker's own latency for the same path: XADD woken up in a blocked XREAD. The reader has a multiplexer of
    /// its own that carries nothing else, since a blocking command holds up everything queued behind it.
    /// </summary>
    public async Task<LatencySample> RawRedisStreamAsync()
    {
        var stream = $"bench-raw-{Guid.NewGuid():N}";
        await using var writer = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
        await using var reader = await ConnectionMultiplexer.ConnectAsync("127.0.0.1:6379");
        var writes = writer.GetDatabase();
        var reads = reader.GetDatabase();
        RedisValue lastId = "0-0";
        try
        {
            return await MeasureTimestampsAsync(async () =>
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
    public async Task<LatencySample> RawRabbitMqAsync()
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
        return await MeasureTimestampsAsync(async () =>
        {
            waiting = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = Stopwatch.GetTimestamp();
            await publisher.BasicPublishAsync("", queue, mandatory: false, properties, body);
            return (started, await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        });
    }

    private async Task CallAsync(HttpMethod method, string url)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent([]) };
        using var response = await _http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

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

    private async Task<LatencySample> MeasureTimestampsAsync(Func<Task<(long Started, long Ended)>> once)
    {
        for (var i = 0; i < options.Warmup; i++) await once();
        var samples = new double[options.Iterations];
        for (var i = 0; i < samples.Length; i++)
        {
            var (started, ended) = await once();
            samples[i] = Stopwatch.GetElapsedTime(started, ended).TotalMilliseconds;
        }
        return new LatencySample(samples);
    }
}
