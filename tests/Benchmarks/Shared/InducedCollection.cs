using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace DaprIoT.Benchmarks;

/// <summary>
/// Makes another .NET process collect its garbage now, through its diagnostics port: an EventPipe session with the
/// runtime's GCHeapCollect keyword induces a full blocking collection, as dotnet-gcdump does. The heap size the
/// process then exports (its last collection's) is what is live, not what happened to be allocated since the last one.
/// </summary>
public static class InducedCollection
{
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>True when the session started (the collection is induced as it starts).</summary>
    public static async Task<bool> RunAsync(int pid, CancellationToken ct)
    {
        try
        {
            var client = new DiagnosticsClient(pid);
            using var session = client.StartEventPipeSession(
                new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcHeapCollectKeyword), requestRundown: false);
            // The events must be read, or the runtime's buffer fills; they are not needed here.
            var drain = session.EventStream.CopyToAsync(Stream.Null, ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            await session.StopAsync(ct);
            await drain.WaitAsync(TimeSpan.FromSeconds(5), ct).ContinueWith(_ => { }, TaskScheduler.Default);
            return true;
        }
        catch (Exception e) when (e is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException)
        {
            return false;
        }
    }
}
