using System.Diagnostics;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>
/// A virtual host of the test's own on the shared RabbitMQ (created and deleted with <c>rabbitmqctl</c>): the
/// platform's exchanges and durable queues have fixed names, so parallel runs need separate namespaces.
/// </summary>
public sealed class RabbitVirtualHost : IAsyncDisposable
{
    private RabbitVirtualHost(string name) => Name = name;

    public string Name { get; }

    public static async Task<RabbitVirtualHost> CreateAsync(CancellationToken cancellationToken)
    {
        var vhost = new RabbitVirtualHost($"dapriot-test-{Guid.NewGuid():N}");
        await RabbitCtlAsync(cancellationToken, "add_vhost", vhost.Name);
        await RabbitCtlAsync(cancellationToken, "set_permissions", "-p", vhost.Name, "guest", ".*", ".*", ".*");
        return vhost;
    }

    public async ValueTask DisposeAsync() => await RabbitCtlAsync(CancellationToken.None, "delete_vhost", Name);

    private static async Task RabbitCtlAsync(CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo("rabbitmqctl", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("rabbitmqctl could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed ({process.ExitCode}): {error}{await output}");
    }
}
