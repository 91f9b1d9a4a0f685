using DaprIoT.LocalRuntime.Hosting;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace DaprIoT.TestSupport;

/// <summary>
/// A redis-server of the test's own on a free port. Actor runs use it: all reminders of an app's actor type live
/// under one store key (<c>actors||{appId}||{type}</c>), so parallel runs with the same app id on a shared Redis
/// would load, fire and overwrite each other's reminders.
/// </summary>
public sealed class PrivateRedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private PrivateRedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<PrivateRedisServer> StartAsync(CancellationToken cancellationToken)
    {
        var port = FreePorts.Next();
        var info = new ProcessStartInfo("redis-server",
            ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server could not be started");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PrivateRedisServer(process, port);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        while (!await server.AcceptsAsync(cancellationToken))
        {
            if (process.HasExited || DateTimeOffset.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"redis-server on port {port} did not start");
            }
            await Task.Delay(50, cancellationToken);
        }
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private async Task<bool> AcceptsAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
