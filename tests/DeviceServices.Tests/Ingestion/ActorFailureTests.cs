using System.Net;
using System.Net.Sockets;
using System.Text;
using Dapr.Actors.Client;
using Dapr.Client;
using System.Diagnostics.Metrics;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins;
using DaprIoT.DeviceTwins.Ingestion;
using DaprIoT.LightBulb;
using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.DeviceServices.Tests.Ingestion;

/// <summary>
/// A device message whose actor does not take it — the sidecar is away, or cannot place the actor — is answered 503
/// so the binding leaves it unacknowledged and delivers it again; it is counted, and an outage that fails
/// every message logs a line per interval, not a stack trace per message. The sidecars here are real sockets: a port
/// nothing listens on, and an HTTP app answering what dapr-local answers for an actor type no sidecar hosts.
/// </summary>
public sealed class ActorFailureTests : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogger<ActorFailureLog> _log = new();
    private readonly MetricCollector<long> _messages;

    public ActorFailureTests()
    {
        _messages = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), DeviceMetrics.MeterName, "dapriot.device.messages");
    }

    [Theory]
    [InlineData(MessageKind.State)]
    [InlineData(MessageKind.Telemetry)]   // whose heartbeat check asks the actor
    public async Task A_message_whose_sidecar_is_away_is_answered_503_counted_and_logged_once_per_interval(MessageKind kind)
    {
        var ingestion = Ingestion(sidecarPort: PortNobodyListensOn());

        for (var seq = 1u; seq <= 3; seq++)
        {
            var problem = Assert.IsType<ProblemHttpResult>(await ingestion.HandleAsync(kind, Request(kind, seq)));
            Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        }
        Assert.Equal(3, FailedCount(kind));
        var first = Assert.Single(_log.Collector.GetSnapshot());
        Assert.Contains("1 device message(s)", first.Message);
        Assert.Contains("HttpRequestException", first.Message);

        _time.Advance(ActorFailureLog.Interval);
        await ingestion.HandleAsync(kind, Request(kind, 4));
        Assert.Equal(4, FailedCount(kind));
        var lines = _log.Collector.GetSnapshot();
        Assert.Equal(2, lines.Count);
        // The two held back in the first interval, and this one.
        Assert.Contains("3 device message(s)", lines[1].Message);
    }

    [Fact]
    public async Task A_state_whose_actor_the_sidecar_cannot_place_is_answered_503_with_the_sidecars_error()
    {
        await using var sidecar = await HostedApp.StartAsync(TestContext.Current.CancellationToken);
        const string error = "did not find address for actor LightBulb/bulb-7: no sidecar in this runtime hosts actor type 'LightBulb'";
        sidecar.Handler = async context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"errorCode":"ERR_ACTOR_NO_ADDRESS","message":"{{error}}"}""");
            return true;
        };
        var ingestion = Ingestion(sidecar.Port);

        var problem = Assert.IsType<ProblemHttpResult>(await ingestion.HandleAsync(MessageKind.State, Request(MessageKind.State, 1)));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, problem.StatusCode);
        Assert.Equal(error, problem.ProblemDetails.Detail);
        Assert.Single(sidecar.To("/v1.0/actors/LightBulb/bulb-7/method/Ingest"));
        Assert.Equal(1, FailedCount(MessageKind.State));
        Assert.Contains(error, Assert.Single(_log.Collector.GetSnapshot()).Message);
    }

    private DeviceIngestion Ingestion(int sidecarPort)
    {
        var sidecar = $"http://127.0.0.1:{sidecarPort}";
        var model = new LightBulbModel();
        var options = Options.Create(new IngestionOptions());
        var actors = new ActorProxyFactory(new ActorProxyOptions { HttpEndpoint = sidecar });
        var metrics = new DeviceMetrics(_services.GetRequiredService<IMeterFactory>());
        var dapr = new DaprClientBuilder().UseHttpEndpoint(sidecar).UseGrpcEndpoint(sidecar).Build();
        return new DeviceIngestion(model, actors, new HeartbeatGate(actors, model, _time, options), new ReportPairing(_time, options, model, metrics),
            new TelemetryPublisher(dapr, model, metrics, options, NullLogger<TelemetryPublisher>.Instance), metrics,
            new RejectionLog(NullLogger<RejectionLog>.Instance), new ActorFailureLog(_log, _time), _time);
    }

    private static HttpRequest Request(MessageKind kind, uint seq)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Headers["topic"] = $"dapriot/lightbulb/bulb-7/{WireNames.Of(kind)}";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(kind == MessageKind.State
            ? $$"""{"boot":1,"seq":{{seq}},"power":true,"brightnessPct":80,"colorTempK":4000}"""
            : $$"""{"boot":1,"seq":{{seq}},"uptimeS":60,"powerMw":7500}"""));
        return context.Request;
    }

    private long FailedCount(MessageKind kind) => _messages.GetMeasurementSnapshot()
        .Where(m => Equals(m.Tags["outcome"], "failed") && Equals(m.Tags["reason"], "actor") && Equals(m.Tags["kind"], WireNames.Of(kind)))
        .Sum(m => m.Value);

    /// <summary>A loopback port that was free a moment ago: a connection to it is refused, as to a sidecar that is away.</summary>
    private static int PortNobodyListensOn()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        _messages.Dispose();
        return _services.DisposeAsync();
    }
}
