using System.Diagnostics;
using System.Text.Json;
using DaprIoT.TestSupport;

namespace DaprIoT.Auth.Tests.Support;

/// <summary>Runs <c>deploy/local/auth-signing-key.sh</c>, the script ./run.sh uses to write the signing key's secrets file.</summary>
public static class SigningKeyScript
{
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
        Assert.True(process.ExitCode == 0, $"auth-signing-key.sh exited with {process.ExitCode}: {await output}{await errors}");
    }

    /// <summary>The PEM in a secrets file the script wrote.</summary>
    public static string PemIn(string file) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file))!["auth-signing-key"];
}
