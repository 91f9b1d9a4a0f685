using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DaprIoT.LocalRuntime.Hosting;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>
/// A private mosquitto broker on a free loopback port, for tests that stop and restart the broker. The shared
/// broker on 1883 is never touched. No persistence: a restart forgets sessions and subscriptions, the hardest
/// case for a client that must resubscribe.
/// </summary>
public sealed class MosquittoBrokerProcess : IAsyncDisposable
{
    private readonly string _configFile;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private Process? _process;

    private MosquittoBrokerProcess(int port, string listenerConfig)
    {
        Port = port;
        _configFile = Path.Combine(Path.GetTempPath(), $"mosquitto-test-{Guid.NewGuid():N}.conf");
        var anonymous = listenerConfig.Contains("allow_anonymous", StringComparison.Ordinal) ? "" : "allow_anonymous true\n";
        File.WriteAllText(_configFile, $"listener {port} 127.0.0.1\n{listenerConfig}{anonymous}persistence false\n");
    }

    public int Port { get; }

    /// <summary>What mosquitto printed, for diagnosing a test.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <param name="listenerConfig">mosquitto.conf lines for the listener, e.g. certfile/keyfile for TLS, or
    /// allow_anonymous false with a password_file (anonymous clients are allowed otherwise).</param>
    public static async Task<MosquittoBrokerProcess> StartAsync(CancellationToken cancellationToken, string listenerConfig = "")
    {
        var broker = new MosquittoBrokerProcess(FreePorts.Next(), listenerConfig);
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
            _process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) _output.Enqueue(line); };
            _process.OutputDataReceived += (_, e) => { if (e.Data is { } line) _output.Enqueue(line); };
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            while (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                // mosquitto listens before it loads certificates: make sure it is still running a moment later.
                if (await AcceptsAsync(cancellationToken) && !_process.WaitForExit(100)) return;
                await Task.Delay(20, cancellationToken);
            }
            if (DateTime.UtcNow >= deadline || !_output.Any(line => line.Contains("Address already in use")))
                throw new InvalidOperationException($"mosquitto did not start on port {Port}:\n{string.Join("\n", _output)}");
            _output.Clear();
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
}
