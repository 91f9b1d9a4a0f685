using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaprIoT.ServiceDefaults.Tests;

/// <summary>A real service built with the defaults, on a loopback port, observed from outside as its users see it.</summary>
public sealed class ServiceDefaultsTests
{
    private static async Task<WebApplication> StartServiceAsync(Dictionary<string, string?> settings, CancellationToken ct)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddServiceDefaults();
        var app = builder.Build();
        app.MapServiceDefaults();
        app.MapGet("/hello", () => "hi");
        app.MapGet("/broken", string () => throw new InvalidOperationException("boom"));
        // What a handler's own outgoing call carries: the traceparent the callee saw, and whether this span is recorded.
        app.MapGet("/traceparent", (HttpRequest request) => request.Headers.TraceParent.ToString());
        app.MapGet("/forward", async (HttpContext http) =>
        {
            using var client = new HttpClient();
            var passedOn = await client.GetStringAsync($"{http.Request.Scheme}://{http.Request.Host}/traceparent", http.RequestAborted);
            return new { passedOn, recorded = Activity.Current?.Recorded ?? false };
        });
        await app.StartAsync(ct);
        return app;
    }

    private static string Url(WebApplication app) => app.Urls.First();

    [Fact]
    public async Task Traces_go_to_the_otlp_endpoint_when_one_is_configured()
    {
        var ct = TestContext.Current.CancellationToken;
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var collectorBuilder = WebApplication.CreateSlimBuilder();
        collectorBuilder.Logging.ClearProviders();
        collectorBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = collectorBuilder.Build();
        collector.Run(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, http.RequestAborted);
            received.Enqueue((http.Request.Path, body.ToArray()));
        });
        await collector.StartAsync(ct);

        await using var service = await StartServiceAsync(new()
        {
            ["APP_ID"] = "orders-service",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Url(collector),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        }, ct);
        using var client = new HttpClient();
        Assert.Equal("hi", await client.GetStringAsync($"{Url(service)}/hello", ct));

        // The OTLP body is protobuf; the resource's service name and the span's route appear in it as UTF-8 text.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!received.Any(r => r.Path == "/v1/traces" && Contains(r.Body, "orders-service") && Contains(r.Body, "/hello")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no trace reached the collector; it saw: {string.Join(", ", received.Select(r => r.Path))}");
            await Task.Delay(50, ct);
        }
    }

    [Fact]
    public async Task Without_an_otlp_endpoint_no_span_is_recorded_but_the_trace_context_is_passed_on()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var service = await StartServiceAsync(new() { ["APP_ID"] = "orders-service" }, ct);
        // This client shares the service's process and so its instrumentation: without a propagator it sends the
        // header below as written, as a sidecar would, instead of a trace context of its own.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Url(service)}/forward");
        // As a sidecar sends it: sampled, so a recording sampler would record the span.
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        using var response = await client.SendAsync(request, ct);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(answer.GetProperty("recorded").GetBoolean());
        var passedOn = answer.GetProperty("passedOn").GetString()!.Split('-');
        Assert.Equal(4, passedOn.Length);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", passedOn[1]);
        Assert.NotEqual("b7ad6b7169203331", passedOn[2]); // a child of the incoming span, not a copy of it
    }

    [Fact]
    public async Task The_platforms_meters_and_the_request_metrics_are_served_for_prometheus()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var service = await StartServiceAsync(new() { ["APP_ID"] = "orders-service" }, ct);
        var meters = service.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var meter = meters.Create(new System.Diagnostics.Metrics.MeterOptions("DaprIoT.Orders"));
        meter.CreateCounter<long>("dapriot.orders.placed").Add(3, new KeyValuePair<string, object?>("kind", "express"));
        using var client = new HttpClient();
        await client.GetStringAsync($"{Url(service)}/hello", ct);

        var text = await client.GetStringAsync($"{Url(service)}/metrics", ct);

        Assert.Contains("dapriot_orders_placed_total{", text);
        Assert.Contains("kind=\"express\"} 3", text);
        Assert.Contains("http_server_request_duration_seconds", text);
    }

    [Fact]
    public async Task Unhandled_errors_answer_as_problem_details()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var service = await StartServiceAsync(new(), ct);
        using var client = new HttpClient();

        using var broken = await client.GetAsync($"{Url(service)}/broken", ct);
        using var missing = await client.GetAsync($"{Url(service)}/no-such-route", ct);

        Assert.Equal(HttpStatusCode.InternalServerError, broken.StatusCode);
        Assert.Equal("application/problem+json", broken.Content.Headers.ContentType?.MediaType);
        Assert.Equal(500, JsonDocument.Parse(await broken.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task The_service_is_live_but_not_ready_while_its_sidecar_is_unreachable()
    {
        var ct = TestContext.Current.CancellationToken;
        var closedPort = FreePort();
        await using var service = await StartServiceAsync(new()
        {
            ["DAPR_HTTP_PORT"] = closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_GRPC_PORT"] = closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, ct);
        using var client = new HttpClient();

        using var live = await client.GetAsync($"{Url(service)}/healthz", ct);
        using var ready = await client.GetAsync($"{Url(service)}/readyz", ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
