using Dapr;
using Dapr.Client;
using Microsoft.Extensions.Options;

namespace DaprIoT.Auth.Tokens;

/// <summary>
/// Reads the signing key from the Dapr secret store at start. Hosted services start before the server listens, so no
/// request is served without a key. The sidecar may start after the app: it is asked again until it answers.
/// </summary>
internal sealed partial class SigningKeyLoader(DaprClient dapr, SigningKeyHolder holder, IOptions<AuthOptions> options,
    ILogger<SigningKeyLoader> logger) : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var (store, name) = (options.Value.SecretStore, options.Value.SigningKeySecret);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var secret = await dapr.GetSecretAsync(store, name, cancellationToken: cancellationToken);
                // A local file store answers {name: value}; a Kubernetes secret may hold it under its own key name.
                var pem = secret.TryGetValue(name, out var value) ? value : secret.Values.SingleOrDefault();
                if (string.IsNullOrWhiteSpace(pem))
                    throw new InvalidOperationException($"Secret '{name}' in store '{store}' is empty. Generate a key with deploy/local/auth-signing-key.sh.");
                var key = SigningKey.FromPem(pem);
                holder.Set(key);
                KeyLoaded(logger, key.KeyId, store);
                return;
            }
            catch (DaprException e)
            {
                // Logged on the first failure and then every 30th, so a missing sidecar or secret shows without flooding the log.
                if (attempt % 30 == 1) KeyNotYetAvailable(logger, name, store, attempt, e);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing key {KeyId} loaded from secret store {Store}")]
    private static partial void KeyLoaded(ILogger logger, string keyId, string store);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Secret {Name} could not be read from store {Store} (attempt {Attempt}); trying again. Is the sidecar running with components/common/auth-secrets.yaml, and the key generated (deploy/local/auth-signing-key.sh)?")]
    private static partial void KeyNotYetAvailable(ILogger logger, string name, string store, int attempt, Exception exception);
}
