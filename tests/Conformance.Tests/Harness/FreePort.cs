using System.Net;
using System.Net.Sockets;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>Free loopback ports for sidecars and app processes: checked bindable, never handed out twice by this process.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    public static int Next()
    {
        lock (Gate)
        {
            // Ports below Linux's ephemeral range (32768+) are not taken by outgoing connections between the
            // pick and the bind, which is when a port handed out by the OS most often gets stolen.
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var candidate = Random.Shared.Next(20000, 32768);
                if (!Given.Contains(candidate) && CanBind(candidate))
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
                if (Given.Add(port)) return port;
            }
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
