using System.Collections.Concurrent;
using System.Globalization;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.TestSupport;
using Grpc.Net.Client;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>
/// A <see cref="DaprClient"/> on a device-management sidecar (so it reads and writes the app's own keys), as the app
/// builds one, whose gRPC calls are counted by method (<c>GetBulkState</c>, <c>ExecuteStateTransaction</c>, …): what a
/// piece of code costs in sidecar round trips. <see cref="BeforeCall"/> runs before a call goes out, so a test can let
/// another replica write first.
/// </summary>
public sealed class SidecarCallCounter : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    private SidecarCallCounter() : base(new SocketsHttpHandler())
    {
    }

    /// <summary>Called with the gRPC method name before each call is sent.</summary>
    public Func<string, Task>? BeforeCall { get; set; }

    public DaprClient Client { get; private set; } = null!;

    public static SidecarCallCounter On(LocalRuntimeHarness runtime, int replica = 0)
    {
        var counter = new SidecarCallCounter();
        counter.Client = new DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{runtime.GrpcPort(AppIds.DeviceManagement, replica).ToString(CultureInfo.InvariantCulture)}")
            .UseHttpEndpoint(runtime.SidecarUrl(AppIds.DeviceManagement, replica))
            .UseJsonSerializationOptions(ContractJson.Options)
            .UseGrpcChannelOptions(new GrpcChannelOptions { HttpHandler = counter, DisposeHttpClient = false })
            .Build();
        return counter;
    }

    /// <summary>Calls per gRPC method since the last <see cref="Reset"/>.</summary>
    public IReadOnlyDictionary<string, int> Calls => new Dictionary<string, int>(_calls, StringComparer.Ordinal);

    /// <summary>State calls (get, bulk get, save, delete, transaction) since the last <see cref="Reset"/>.</summary>
    public int StateCalls => _calls.Where(c => c.Key.Contains("State", StringComparison.Ordinal)).Sum(c => c.Value);

    public void Reset() => _calls.Clear();

    public override string ToString() => string.Join(", ", _calls.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var method = request.RequestUri!.AbsolutePath.Split('/')[^1];
        if (BeforeCall is { } before) await before(method);
        _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
        return await base.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        // The channel does not own this handler (DisposeHttpClient = false), so the client goes first, then the handler.
        if (disposing) Client?.Dispose();
        base.Dispose(disposing);
    }
}
