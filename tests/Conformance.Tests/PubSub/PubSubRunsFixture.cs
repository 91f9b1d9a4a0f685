using System.Collections.Concurrent;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.PubSub;

/// <summary>
/// One <see cref="PubSubRun"/> per bus, started the first time a case on that bus needs it (so a filtered run starts
/// only the bus it tests) and shared by the cases of that bus: app start-up dominates otherwise.
/// </summary>
public sealed class PubSubRunsFixture : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PubSubBus, Lazy<Task<PubSubRun>>> _runs = new();

    public Task<PubSubRun> RunAsync(PubSubBus bus) =>
        _runs.GetOrAdd(bus, b => new Lazy<Task<PubSubRun>>(() => PubSubRun.StartAsync(b, TestContext.Current.CancellationToken))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs.Values.Where(r => r.IsValueCreated))
        {
            try
            {
                await (await run.Value).DisposeAsync();
            }
            catch (Exception) when (run.Value.IsFaulted)
            {
                // The start failed and that test already reported why.
            }
        }
    }
}
