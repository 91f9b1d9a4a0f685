using System.Net;
using System.Net.Sockets;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// Picks free loopback ports as <c>dapr run</c> does for ports the run file leaves out: a port that can be bound
/// now, below the ephemeral range where possible. Ports handed out once are not handed out again by this process,
/// nor, for <see cref="ClaimKept"/>, by another one on the machine: test runs start many runtimes and apps at once,
/// each picking ports, and a port two of them picked in the same moment would be bound by only one.
/// </summary>
public static class FreePorts
{
    /// <summary>How long a port handed out stays claimed machine-wide: long enough for whoever asked to bind it.</summary>
    public static readonly TimeSpan ClaimKept = TimeSpan.FromMinutes(10);

    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    // One empty file per port handed out, created exclusively, so the claim is atomic across processes.
    private static readonly string Claims = Path.Combine(Path.GetTempPath(), "dapr-local-ports");

    public static int Next(IReadOnlySet<int>? avoid = null)
    {
        lock (Gate)
        {
            // Ports below Linux's ephemeral range (32768+) are not taken by outgoing connections between the
            // pick and the bind, which is when a port handed out by the OS most often gets stolen.
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var candidate = Random.Shared.Next(20000, 32768);
                if (!Given.Contains(candidate) && (avoid is null || !avoid.Contains(candidate)) && CanBind(candidate) && Claim(candidate))
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

    /// <summary>Claims the port machine-wide unless another process claimed it within <see cref="ClaimKept"/>.</summary>
    private static bool Claim(int port)
    {
        var path = Path.Combine(Claims, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateDirectory(Claims);
            if (File.Exists(path) && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > ClaimKept) File.Delete(path);
            using (File.Open(path, FileMode.CreateNew)) { }
            return true;
        }
        catch (IOException)
        {
            return false;                                   // claimed by another process a moment ago
        }
        catch (UnauthorizedAccessException)
        {
            return true;                                    // a temp folder we may not write: the bind check alone decides
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
