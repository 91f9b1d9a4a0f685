using System.Globalization;
using DaprIoT.Auth.Tests.Support;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.ServiceDefaults;
using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace DaprIoT.Auth.Tests.Platform;

/// <summary>
/// The built auth service run as <c>./run.sh</c> runs it — a process under <c>dapr-local</c> with the repository's
/// <c>statestore</c> (on a Redis of its own) and <c>auth-secrets</c> components — and a stand-in for another service
/// (<see cref="Devices"/>, app <c>devices</c>) that protects its API with <see cref="JwtValidationExtensions.AddJwtValidation"/>
/// and so fetches auth's JWKS through its own sidecar. Browsers' calls go through a sidecar's invocation API
/// (<see cref="Auth"/>), as the frontend's edge routing sends them.
/// </summary>
public sealed class AuthPlatform : IAsyncLifetime
{
    private PrivateRedisServer? _redis;
    private LocalRuntimeHarness? _runtime;
    private WebApplication? _devices;

    /// <summary>The signing key, written by deploy/local/auth-signing-key.sh as ./run.sh writes it.</summary>
    public string SigningKeyPem { get; private set; } = "";

    /// <summary>The auth API through the <c>devices</c> sidecar: base address <c>…/v1.0/invoke/auth/method/</c>.</summary>
    public HttpClient Auth { get; private set; } = new();

    /// <summary>The protected service: <c>GET /api/devices</c> needs a valid access token.</summary>
    public HttpClient Devices { get; private set; } = new();

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis = await PrivateRedisServer.StartAsync(ct);
        var secretsJson = await AuthSigningKeyScript.NewSecretsJsonAsync(ct);
        SigningKeyPem = AuthSigningKeyScript.PemIn(secretsJson);
        var authPort = FreePorts.Next();
        var port = authPort.ToString(CultureInfo.InvariantCulture);
        var dll = RepositoryPaths.Built(Path.Combine("services", "Auth"), "DaprIoT.Auth.dll", "dotnet build services/Auth");
        var env = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            // Every call comes from the sidecar's address here: limit per account only, over a window no test outlasts.
            ["Auth__LoginsPerAddress"] = "10000",
            ["Auth__LoginWindow"] = "01:00:00",
        };
        _runtime = await LocalRuntimeHarness.StartAsync(
        [
            new HarnessApp("auth", authPort, ["dotnet", dll, "--urls", $"http://127.0.0.1:{port}"], env),
            new HarnessApp("devices"),
        ], RepositoryComponents.For(_redis.Address), ct,
            files: new Dictionary<string, string> { [RepositoryComponents.SecretsFile] = secretsJson });

        Auth = new HttpClient { BaseAddress = new Uri($"{_runtime.SidecarUrl("devices")}/v1.0/invoke/auth/method/") };
        // The app has started when it serves its keys (it reads the signing key before it listens).
        await Eventually.UntilAsync(async token =>
            {
                try { return (int)(await Auth.GetAsync(".well-known/jwks.json", token)).StatusCode; }
                catch (HttpRequestException) { return 0; }
            },
            status => status == 200, "auth serves its JWKS", status => $"HTTP {status}\n{_runtime.Output}", TimeSpan.FromSeconds(60), ct);

        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_PORT"] = _runtime.GrpcPort("devices").ToString(CultureInfo.InvariantCulture),
            ["DAPR_HTTP_PORT"] = _runtime.SidecarPort("devices").ToString(CultureInfo.InvariantCulture),
        });
        builder.AddServiceDefaults();
        builder.AddJwtValidation();
        _devices = builder.Build();
        _devices.MapServiceDefaults();
        _devices.MapGet("/api/devices", (System.Security.Claims.ClaimsPrincipal user) => $"devices of {user.FindFirst("sub")?.Value}")
            .RequireAuthorization();
        await _devices.StartAsync(ct);
        Devices = _devices.GetTestClient();
    }

    public async ValueTask DisposeAsync()
    {
        Auth.Dispose();
        if (_devices is not null) await _devices.DisposeAsync();
        if (_runtime is not null) await _runtime.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
