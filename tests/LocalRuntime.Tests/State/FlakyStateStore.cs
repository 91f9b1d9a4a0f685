using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>An in-memory store whose next calls fail (as a dropped Redis connection would) or hang, and that counts calls.</summary>
public sealed class FlakyStateStore(string name) : IStateStore
{
    private readonly InMemoryStateStore _inner = new(name, TimeProvider.System);
    private int _failuresLeft;

    public string Name => name;

    public int Calls;

    public bool Hang { get; set; }

    public void FailNext(int calls) => _failuresLeft = calls;

    public async Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        return await _inner.GetAsync(key, cancellationToken);
    }

    public async Task SetAsync(StateSet operation, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        await _inner.SetAsync(operation, cancellationToken);
    }

    public async Task DeleteAsync(StateDelete operation, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        await _inner.DeleteAsync(operation, cancellationToken);
    }

    public async Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        await _inner.TransactAsync(operations, cancellationToken);
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        if (Hang) await Task.Delay(Timeout.Infinite, cancellationToken);
        if (Interlocked.Decrement(ref _failuresLeft) >= 0) throw new IOException("connection reset by peer");
    }
}
