using System.Diagnostics;
using System.Text.Json;

namespace DaprIoT.TestSupport;

/// <summary>
/// Runs <c>deploy/local/auth-signing-key.sh</c>, the script ./run.sh uses to write the auth service's secrets file (the
/// signing key's PEM under <c>auth-signing-key</c>), so suites start auth with a key made as ./run.sh makes it.
/// </summary>
public static class AuthSigningKeyScript
{
    public const string SecretName = "auth-signing-key";

    /// <summary>Writes <paramref name="file"/> (or leaves an existing one, as the script does).</summary>
    public static async Task RunAsync(string file, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Path.Combine(RepositoryPaths.Root, "deploy", "local", "auth-signing-key.sh"), [file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"auth-signing-key.sh exited with {process.ExitCode}: {await output}{await errors}");
    }

    /// <summary>A new secrets file's JSON, written by the script into a folder that is then deleted.</summary>
    public static async Task<string> NewSecretsJsonAsync(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("dapriot-auth-key-");
        try
        {
            var file = Path.Combine(folder.FullName, "auth.json");
            await RunAsync(file, cancellationToken);
            return await File.ReadAllTextAsync(file, cancellationToken);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The PEM in a secrets file's JSON.</summary>
    public static string PemIn(string secretsJson) => JsonSerializer.Deserialize<Dictionary<string, string>>(secretsJson)![SecretName];
}
