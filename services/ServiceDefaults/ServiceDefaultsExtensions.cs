using Dapr.Client;
using Microsoft.AspNetCore.Authentication;
using DaprIoT.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DaprIoT.ServiceDefaults;

/// <summary>
/// The shared start of every DaprIoT service, so each <c>Program.cs</c> reads as what the service does:
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// builder.AddServiceDefaults();
/// var app = builder.Build();
/// app.MapServiceDefaults();
/// </code>
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Liveness: the process serves requests. Kubernetes restarts the pod when it fails.</summary>
    public const string LivenessPath = "/healthz";

    /// <summary>Readiness: the process and its Dapr sidecar can do work. Kubernetes withholds traffic while it fails.</summary>
    public const string ReadinessPath = "/readyz";

    /// <summary>Metrics in the Prometheus text format, for a scraper (or a person with curl).</summary>
    public const string MetricsPath = "/metrics";

    private const string ReadyTag = "ready";

    /// <summary>
    /// OpenTelemetry traces and metrics (ASP.NET Core, HttpClient, gRPC client, .NET runtime, the platform's own
    /// <c>DaprIoT.*</c> meters), metrics served for Prometheus on <see cref="MetricsPath"/>, all exported over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (and only then, so a developer machine without a collector stays
    /// quiet; nor are spans recorded then); RFC 7807 ProblemDetails for every error response; health checks; and
    /// <see cref="DaprClient"/>, which finds its sidecar through <c>DAPR_HTTP_PORT</c> / <c>DAPR_GRPC_PORT</c> as
    /// under daprd.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? builder.Configuration["APP_ID"] ?? builder.Environment.ApplicationName;
        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(serviceName)
                    .AddAspNetCoreInstrumentation(options =>
                        options.Filter = http => http.Request.Path != LivenessPath && http.Request.Path != ReadinessPath)
                    .AddHttpClientInstrumentation()
                    // DaprClient's calls to the sidecar are gRPC over HttpClient; its activity source names them.
                    .AddSource("Grpc.Net.Client");
                // Without an exporter no span would reach anyone, so none is recorded: a request that arrives with a
                // trace context still passes it on to the calls it makes (OpenTelemetry's always-off sampler keeps a
                // parent's context), which keeps the sidecars' traces whole, without the cost of filling spans in.
                if (!exporting) tracing.SetSampler(new AlwaysOffSampler());
            })
            .WithMetrics(metrics => metrics
                .AddMeter(serviceName)
                // The platform's own meters (DaprIoT.Devices, ...).
                .AddMeter("DaprIoT.*")
                .AddPrometheusExporter()
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());
        if (exporting) telemetry.UseOtlpExporter();

        builder.Services.AddProblemDetails();
        builder.Services.AddDaprClient(client => client.UseJsonSerializationOptions(ContractJson.Options));
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy())
            .AddCheck<DaprSidecarHealthCheck>("dapr-sidecar", tags: [ReadyTag]);
        return builder;
    }

    /// <summary>
    /// Maps <see cref="LivenessPath"/> and <see cref="ReadinessPath"/>, and turns unhandled exceptions and bare error
    /// statuses into ProblemDetails. With <see cref="JwtValidationExtensions.AddJwtValidation"/>, also checks access tokens.
    /// </summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetService<IAuthenticationSchemeProvider>() is not null)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }

        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = check => !check.Tags.Contains(ReadyTag) });
        app.MapHealthChecks(ReadinessPath);
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}

/// <summary>
/// Ready only when the Dapr sidecar's outbound side is (<c>/v1.0/healthz/outbound</c>: components loaded), which
/// every request that reaches the bus, the state store or an actor needs. It does not wait for the sidecar's full
/// health, which itself waits for this app's port: that would never turn ready.
/// </summary>
internal sealed class DaprSidecarHealthCheck(DaprClient dapr) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await dapr.CheckOutboundHealthAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("the Dapr sidecar's outbound health check failed");
}
