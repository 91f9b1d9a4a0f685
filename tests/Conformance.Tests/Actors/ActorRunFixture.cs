namespace DaprIoT.Conformance.Tests.Actors;

/// <summary>One <see cref="ActorRun"/> with two host replicas, shared by the cases of a class (each uses its own actor ids).</summary>
public sealed class ActorRunFixture : IAsyncDisposable
{
    private readonly Lazy<Task<ActorRun>> _run = new(() => ActorRun.StartAsync(hostReplicas: 2, Xunit.TestContext.Current.CancellationToken));

    public Task<ActorRun> RunAsync() => _run.Value;

    public async ValueTask DisposeAsync()
    {
        if (_run.IsValueCreated && _run.Value.IsCompletedSuccessfully) await (await _run.Value).DisposeAsync();
    }
}
