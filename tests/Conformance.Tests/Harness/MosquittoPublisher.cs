using System.Diagnostics;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>Publishes with <c>mosquitto_pub</c> to the shared Mosquitto on 127.0.0.1:1883 (as its admin), as a device would.</summary>
public static class MosquittoPublisher
{
    public static async Task PublishAsync(string topic, string payload, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("mosquitto_pub", ["-h", "127.0.0.1", "-p", "1883", "-u", SharedMosquitto.Username, "-P", SharedMosquitto.Password, "-q", "1", "-t", topic, "-m", payload])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("mosquitto_pub could not be started");
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"mosquitto_pub to {topic} failed ({process.ExitCode}): {error}");
    }
}
