using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DaprIoT.Benchmarks.MqttBindingThroughput;

/// <summary>
/// A mosquitto of its own on a free loopback port, as firmware/bench/load.sh starts one: no connection limit, no
/// persistence, running as the caller, so thousands of devices do not meet the shared broker of the tests.
/// </summary>
public sealed class PrivateBroker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    private PrivateBroker(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>CPU time mosquitto has used so far, user and system.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<PrivateBroker> StartAsync(bool upgradeOutgoingQos)
    {
        var folder = Directory.CreateTempSubdirectory("mqtt-bench-broker-").FullName;
        var port = Ports.Free();
        var config = Path.Combine(folder, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            max_connections -1
            persistence false
            upgrade_outgoing_qos {(upgradeOutgoingQos ? "true" : "false")}
            set_tcp_nodelay true
            log_dest stderr
            log_type error
            log_type warning
            user {Environment.UserName}

            """);
        var process = Process.Start(new ProcessStartInfo("mosquitto", ["-c", config]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("mosquitto did not start");
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) Console.Error.WriteLine($"mosquitto: {line}"); };
        process.BeginErrorReadLine();
        var broker = new PrivateBroker(process, folder, port);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (process.HasExited) break;
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return broker;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        await broker.DisposeAsync();
        throw new InvalidOperationException($"mosquitto did not listen on port {port}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
