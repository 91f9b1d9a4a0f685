using System.Globalization;
using System.Text.Json;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.Statistics.Tests.Platform;

/// <summary>
/// The built statistics service run as <c>./run.sh</c> runs it, in two replicas — processes under <c>dapr-local</c> with the
/// repository's <c>statestore</c> and Redis <c>pubsub</c> components on a Redis of its own — beside a stand-in for
/// app <c>auth</c> that serves the test's JWKS (<see cref="UserTokens"/>) and a <c>publisher</c> sidecar that puts
/// telemetry and device events on the bus as the device services do.
/// </summary>
public sealed class StatisticsPlatform : IAsyncLifetime
{
    private PrivateRedisServer? _redis;
    private HostedApp? _auth;
    private LocalRuntimeHarness? _runtime;
    private DaprClient? _publisher;

    public UserTokens Tokens { get; } = new();

    /// <summary>The first statistics replica itself (its API, as the frontend's edge routing reaches it).</summary>
    public HttpClient Statistics => Replicas[0];

    /// <summary>Both replicas, e.g. for their <c>/metrics</c>.</summary>
    public IReadOnlyList<HttpClient> Replicas { get; private set; } = [];

    /// <summary>The publisher's sidecar, with the contract JSON options the platform's publishers use.</summary>
    public DaprClient Publisher => _publisher ?? throw new InvalidOperationException("not started");

    public LocalRuntimeHarness Runtime => _runtime ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis = await PrivateRedisServer.StartAsync(ct);
        _auth = await HostedApp.StartAsync(ct);
        var jwks = Tokens.Jwks();
        _auth.Handler = async context =>
        {
            if (context.Request.Path != "/" + Contracts.Auth.AuthNames.JwksMethod) return false;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(jwks, context.RequestAborted);
            return true;
        };

        // Two replicas, as competing consumers of one consumer group: batches of one device land on both.
        var urls = new[] { FreePorts.Next(), FreePorts.Next() }.Select(port => (Port: port, Url: $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}")).ToList();
        var dll = RepositoryPaths.Built(Path.Combine("services", "Statistics"), "DaprIoT.Statistics.dll", "dotnet build services/Statistics");
        _runtime = await LocalRuntimeHarness.StartAsync(
        [
            .. urls.Select(app => new HarnessApp(AppIds.Statistics, app.Port, ["dotnet", dll, "--urls", app.Url],
                new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" })),
            new HarnessApp(AppIds.Auth, _auth.Port),
            new HarnessApp("publisher"),
        ], RepositoryComponents(_redis.Address), ct);

        Replicas = [.. urls.Select(app => new HttpClient { BaseAddress = new Uri(app.Url) })];
        _publisher = new DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{_runtime.GrpcPort("publisher").ToString(CultureInfo.InvariantCulture)}")
            .UseHttpEndpoint(_runtime.SidecarUrl("publisher"))
            .UseJsonSerializationOptions(ContractJson.Options)
            .Build();

        // Publish only once the sidecar has the app's subscriptions, or the first messages would find no subscriber.
        foreach (var replica in new[] { 0, 1 })
        {
            await Eventually.UntilAsync(token => SubscribedTopicsAsync(replica, token),
                topics => topics.Contains(Topics.Telemetry) && topics.Contains(Topics.DeviceEvents),
                $"statistics sidecar #{replica} subscribes to telemetry and device-events", topics => $"[{string.Join(", ", topics)}]\n{_runtime.Output}",
                TimeSpan.FromSeconds(60), ct);
        }
    }

    private async Task<IReadOnlyList<string>> SubscribedTopicsAsync(int replica, CancellationToken cancellationToken)
    {
        try
        {
            var json = await Runtime.Client.GetStringAsync($"{Runtime.SidecarUrl(AppIds.Statistics, replica)}/v1.0/metadata", cancellationToken);
            using var metadata = JsonDocument.Parse(json);
            return metadata.RootElement.TryGetProperty("subscriptions", out var subscriptions)
                ? [.. subscriptions.EnumerateArray().Select(s => s.GetProperty("topic").GetString() ?? "")]
                : [];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>The component YAML ./run.sh loads for the statistics app, pointed at the test's Redis.</summary>
    private static Dictionary<string, string> RepositoryComponents(string redisAddress) =>
        ComponentFiles.Read(["common/statestore.yaml", "redis/pubsub.yaml"], (ComponentFiles.SharedRedis, redisAddress));

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in Replicas) replica.Dispose();
        _publisher?.Dispose();
        if (_runtime is not null) await _runtime.DisposeAsync();
        if (_auth is not null) await _auth.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
