using System.Security.Cryptography;
using System.Text.Json;
using DaprIoT.Auth.Tokens;
using DaprIoT.TestSupport;

[assembly: AssemblyFixture(typeof(DaprIoT.Auth.Tests.Support.AuthSidecar))]

namespace DaprIoT.Auth.Tests.Support;

/// <summary>
/// A sidecar for app <c>auth</c> under <c>dapr-local</c>, with the repository's <c>statestore</c> (on a Redis of the
/// test run's own) and <c>auth-secrets</c> components and a signing key written where <c>auth-secrets</c> reads it.
/// The in-process hosts (<see cref="AuthHost"/>) talk to it as the real app talks to its sidecar.
/// </summary>
public sealed class AuthSidecar : IAsyncLifetime
{
    private PrivateRedisServer? _redis;
    private LocalRuntimeHarness? _runtime;

    /// <summary>The PEM of the signing key in the secret store, so tests can sign tokens as auth would (or nearly).</summary>
    public string SigningKeyPem { get; }

    /// <summary>The same key as the service reads it, with its key id.</summary>
    public SigningKey SigningKey { get; }

    public AuthSidecar()
    {
        SigningKeyPem = NewKeyPem();
        SigningKey = SigningKey.FromPem(SigningKeyPem);
    }

    public LocalRuntimeHarness Runtime => _runtime ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _redis = await PrivateRedisServer.StartAsync(ct);
        _runtime = await LocalRuntimeHarness.StartAsync([new HarnessApp("auth")], RepositoryComponents.For(_redis.Address), ct,
            files: new Dictionary<string, string> { [RepositoryComponents.SecretsFile] = SecretsJson(SigningKeyPem) });
    }

    /// <summary>The secrets file of <c>components/common/auth-secrets.yaml</c>, as deploy/local/auth-signing-key.sh writes it.</summary>
    public static string SecretsJson(string pem) => JsonSerializer.Serialize(new Dictionary<string, string> { ["auth-signing-key"] = pem });

    public static string NewKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    public async ValueTask DisposeAsync()
    {
        if (_runtime is not null) await _runtime.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
