using System.Net;
using System.Net.Sockets;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>Free loopback ports for sidecars and test apps (bind port 0, release).</summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    public static int Next()
    {
        lock (Gate)
        {
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
}
