using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>A state store whose backend cannot be reached: every operation fails as a broken connection would.</summary>
internal sealed class FailingStateStore(string name) : IStateStore
{
    public string Name { get; } = name;

    public Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken) => throw Unreachable();

    public Task SetAsync(StateSet operation, CancellationToken cancellationToken) => throw Unreachable();

    public Task DeleteAsync(StateDelete operation, CancellationToken cancellationToken) => throw Unreachable();

    public Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken) => throw Unreachable();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static IOException Unreachable() => new("connection refused (127.0.0.1:1)");
}
