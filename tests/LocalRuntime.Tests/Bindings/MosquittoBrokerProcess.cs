using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>
/// A private mosquitto broker on a free loopback port, for tests that stop and restart the broker. The shared
/// broker on 1883 is never touched. No persistence: a restart forgets sessions and subscriptions, the hardest
/// case for a client that must resubscribe.
/// </summary>
public sealed class MosquittoBrokerProcess : IAsyncDisposable
{
    private readonly string _configFile;
    private Process? _process;

    private MosquittoBrokerProcess(int port)
    {
        Port = port;
        _configFile = Path.Combine(Path.GetTempPath(), $"mosquitto-test-{Guid.NewGuid():N}.conf");
        File.WriteAllText(_configFile, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
    }

    public int Port { get; }

    public static async Task<MosquittoBrokerProcess> StartAsync(CancellationToken cancellationToken)
    {
        var broker = new MosquittoBrokerProcess(FreePort());
        await broker.RestartAsync(cancellationToken);
        return broker;
    }

    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await StopAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            // The port can stay busy for a moment after the previous process exits.
            _process = Process.Start(new ProcessStartInfo("mosquitto", $"-c {_configFile}")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            while (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                if (await AcceptsAsync(cancellationToken)) return;
                await Task.Delay(20, cancellationToken);
            }
            if (DateTime.UtcNow >= deadline)
                throw new InvalidOperationException($"mosquitto did not start on port {Port}");
            await Task.Delay(100, cancellationToken);
        }
    }

    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        _process = null;
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        File.Delete(_configFile);
    }

    private async Task<bool> AcceptsAsync(CancellationToken cancellationToken)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
