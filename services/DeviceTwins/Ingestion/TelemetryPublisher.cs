using System.Threading.Channels;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceTwins.Model;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceTwins.Ingestion;

/// <summary>
/// The hot path: telemetry goes from the binding to the bus in batches (bulk publish), never through an actor or the
/// state store. A bounded queue sits between the two; when it is full, or the bus refuses a batch after
/// <see cref="IngestionOptions.TelemetryPublishAttempts"/> tries, telemetry is dropped and counted — telemetry only:
/// devices send it at QoS 0 and send the next reading soon. State changes and commands never pass here.
/// </summary>
public sealed partial class TelemetryPublisher : BackgroundService
{
    private readonly Channel<TelemetryReading> _queue;
    private readonly DaprClient _dapr;
    private readonly DeviceModel _model;
    private readonly DeviceMetrics _metrics;
    private readonly IngestionOptions _options;
    private readonly ILogger<TelemetryPublisher> _logger;

    public TelemetryPublisher(DaprClient dapr, DeviceModel model, DeviceMetrics metrics, IOptions<IngestionOptions> options, ILogger<TelemetryPublisher> logger)
    {
        _dapr = dapr;
        _model = model;
        _metrics = metrics;
        _options = options.Value;
        _logger = logger;
        _queue = Channel.CreateBounded<TelemetryReading>(new BoundedChannelOptions(_options.TelemetryQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues a reading for the bus; false (and counted) when the queue is full.</summary>
    public bool TryEnqueue(TelemetryReading reading)
    {
        if (_queue.Writer.TryWrite(reading)) return true;
        _metrics.TelemetryDropped(_model.TypeName, "queue_full", 1);
        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A few batches on their way at once, so the bus's round trip does not set the pace; more would only queue
        // at the sidecar.
        using var inFlight = new SemaphoreSlim(_options.TelemetryBatchesInFlight);
        var publishing = new List<Task>();
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                var batch = new List<TelemetryReading>(_options.TelemetryBatchSize);
                await FillAsync(reader, batch, stoppingToken);
                await inFlight.WaitAsync(stoppingToken);
                publishing.RemoveAll(task => task.IsCompleted);
                publishing.Add(PublishAndReleaseAsync(batch, inFlight, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: what is still queued is lost with the process, as telemetry may be.
        }

        await Task.WhenAll(publishing);
    }

    private async Task PublishAndReleaseAsync(List<TelemetryReading> batch, SemaphoreSlim inFlight, CancellationToken stoppingToken)
    {
        try
        {
            await PublishAsync(batch, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down mid-publish: this batch is lost with the process.
        }
        finally
        {
            inFlight.Release();
        }
    }

    private async Task FillAsync(ChannelReader<TelemetryReading> reader, List<TelemetryReading> batch, CancellationToken stoppingToken)
    {
        while (batch.Count < _options.TelemetryBatchSize && reader.TryRead(out var reading)) batch.Add(reading);
        if (batch.Count >= _options.TelemetryBatchSize || _options.TelemetryBatchLinger <= TimeSpan.Zero) return;

        // A short wait lets a busy second fill the batch; an idle one sends what it has almost at once.
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        linger.CancelAfter(_options.TelemetryBatchLinger);
        try
        {
            while (batch.Count < _options.TelemetryBatchSize && await reader.WaitToReadAsync(linger.Token))
                while (batch.Count < _options.TelemetryBatchSize && reader.TryRead(out var reading)) batch.Add(reading);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // The linger ended: send what there is.
        }
    }

    private async Task PublishAsync(List<TelemetryReading> batch, CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await _dapr.BulkPublishEventAsync(ComponentNames.PubSub, Topics.Telemetry, batch, cancellationToken: stoppingToken);
                if (response.FailedEntries.Count > 0)
                {
                    _metrics.TelemetryDropped(_model.TypeName, "publish_failed", response.FailedEntries.Count);
                    Log.EntriesFailed(_logger, response.FailedEntries.Count, batch.Count, response.FailedEntries[0].ErrorMessage);
                }

                return;
            }
            catch (Exception e) when (e is not OperationCanceledException && attempt < _options.TelemetryPublishAttempts)
            {
                Log.Retrying(_logger, batch.Count, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _metrics.TelemetryDropped(_model.TypeName, "publish_failed", batch.Count);
                Log.Dropped(_logger, batch.Count, attempt, e.Message);
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Bulk publish of {Count} telemetry messages failed (attempt {Attempt}), trying again: {Reason}")]
        public static partial void Retrying(ILogger logger, int count, int attempt, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "Dropped {Count} telemetry messages: the bus refused them {Attempts} times; last error: {Reason}")]
        public static partial void Dropped(ILogger logger, int count, int attempts, string reason);

        [LoggerMessage(Level = LogLevel.Error, Message = "The bus refused {Failed} of {Count} telemetry messages: {Reason}")]
        public static partial void EntriesFailed(ILogger logger, int failed, int count, string reason);
    }
}
