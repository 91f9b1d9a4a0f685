using System.Diagnostics;
using System.Text.Json;

namespace DaprIoT.TestSupport;

/// <summary>
/// A virtual host of the test's own on the shared RabbitMQ (<c>deploy/local/infra.sh start</c>), created and deleted
/// with <c>rabbitmqctl</c>: exchanges and queues have fixed names, so runs side by side need separate namespaces.
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

    /// <summary>The virtual host's queues: name, durable, auto-delete.</summary>
    public async Task<IReadOnlyList<(string Name, bool Durable, bool AutoDelete)>> QueuesAsync(CancellationToken cancellationToken)
    {
        using var json = JsonDocument.Parse(await RabbitCtlAsync(cancellationToken, "list_queues", "-p", Name, "name", "durable", "auto_delete", "--formatter", "json"));
        return [.. json.RootElement.EnumerateArray().Select(q =>
            (q.GetProperty("name").GetString()!, q.GetProperty("durable").GetBoolean(), q.GetProperty("auto_delete").GetBoolean()))];
    }

    /// <summary>Sets a policy of the virtual host (<c>rabbitmqctl set_policy</c>): a definition in JSON for the queues or exchanges whose names match.</summary>
    public Task SetPolicyAsync(string name, string pattern, string definition, string applyTo, CancellationToken cancellationToken) =>
        RabbitCtlAsync(cancellationToken, "set_policy", "-p", Name, "--apply-to", applyTo, name, pattern, definition);

    public Task ClearPolicyAsync(string name, CancellationToken cancellationToken) =>
        RabbitCtlAsync(cancellationToken, "clear_policy", "-p", Name, name);

    public async ValueTask DisposeAsync() => await RabbitCtlAsync(CancellationToken.None, "delete_vhost", Name);

    private static async Task<string> RabbitCtlAsync(CancellationToken cancellationToken, params string[] args)
    {
        var info = new ProcessStartInfo("rabbitmqctl", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("rabbitmqctl could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed ({process.ExitCode}): {error}{await output}");
        return await output;
    }
}
