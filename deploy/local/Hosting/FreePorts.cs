using System.Net;
using System.Net.Sockets;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// Picks free loopback ports as <c>dapr run</c> does for ports the run file leaves out: bind port 0, read the
/// port, release it. Ports handed out once are not handed out again by this process.
/// </summary>
public static class FreePorts
{
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    public static int Next(IReadOnlySet<int>? avoid = null)
    {
        lock (Gate)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if ((avoid is null || !avoid.Contains(port)) && Given.Add(port)) return port;
            }
        }
    }

    /// <summary>Whether something accepts TCP connections on <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static async Task<bool> IsListeningAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
