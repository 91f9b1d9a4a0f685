using System.Net;
using System.Net.Sockets;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// Picks free loopback ports as <c>dapr run</c> does for ports the run file leaves out: a port that can be bound
/// now, below the ephemeral range where possible. Ports handed out once are not handed out again by this process.
/// </summary>
public static class FreePorts
{
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    public static int Next(IReadOnlySet<int>? avoid = null)
    {
        lock (Gate)
        {
            // Ports below Linux's ephemeral range (32768+) are not taken by outgoing connections between the
            // pick and the bind, which is when a port handed out by the OS most often gets stolen.
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var candidate = Random.Shared.Next(20000, 32768);
                if (!Given.Contains(candidate) && (avoid is null || !avoid.Contains(candidate)) && CanBind(candidate))
                {
                    Given.Add(candidate);
                    return candidate;
                }
            }
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

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
