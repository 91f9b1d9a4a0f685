using System.Net;
using System.Net.Sockets;

namespace DaprIoT.Benchmarks.MqttBindingThroughput;

internal static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
