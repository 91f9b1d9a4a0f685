using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>
/// A redis-server of the test's own on a free port, for tests that flush its scripts or restart it, which the
/// shared server on 6379 must never see.
/// </summary>
public sealed class PrivateRedisServer : IAsyncDisposable
{
    private Process? _process;

    private PrivateRedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, as a component's <c>redisHost</c> or a StackExchange.Redis endpoint.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public static async Task<PrivateRedisServer> StartAsync(CancellationToken cancellationToken)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var server = new PrivateRedisServer(port);
        await server.RestartAsync(cancellationToken);
        return server;
    }

    /// <summary>Stops the server if it runs and starts it again, empty (no persistence), on the same port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await StopAsync();
        _process = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // A plain PING on a socket: a client library's connect would wait out its own connect timeout while the
        // server is still starting, longer than the whole wait on a busy machine.
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                var stream = socket.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
                var reply = new byte[7];
                var read = await stream.ReadAsync(reply, cancellationToken);
                return read >= 5 && reply.AsSpan(0, 5).SequenceEqual("+PONG"u8);
            }
            catch (SocketException)
            {
                return false;
            }
        }, cancellationToken, TimeSpan.FromSeconds(30));
    }

    private async Task StopAsync()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
