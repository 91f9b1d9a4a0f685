namespace DaprIoT.LocalRuntime.Tests.PubSub;

/// <summary>
/// What a pub/sub test creates and cleans up: the sidecars and apps it starts (disposed newest first) and the
/// topics (Redis streams, RabbitMQ exchanges) and queues it leaves on the shared brokers.
/// </summary>
public abstract class PubSubTest : IAsyncLifetime
{
    protected List<string> Topics { get; } = [];

    protected List<string> Queues { get; } = [];

    protected List<IAsyncDisposable> Owned { get; } = [];

    /// <summary>An app id of this test's own, so its consumer groups and queues are its own too.</summary>
    protected string AppId { get; } = $"app-{Guid.NewGuid():N}";

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        for (var i = Owned.Count - 1; i >= 0; i--) await Owned[i].DisposeAsync();
        await Brokers.CleanUpAsync(Topics, Queues);
        GC.SuppressFinalize(this);
    }
}
