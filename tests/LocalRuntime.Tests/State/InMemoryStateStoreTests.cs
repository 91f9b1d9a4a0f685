using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.State;

public sealed class InMemoryStateStoreTests : StateStoreContract
{
    private readonly ManualClock _clock = new();

    protected override Task<IStateStore> OpenAsync() => Task.FromResult<IStateStore>(new InMemoryStateStore("memory", _clock));

    protected override void Elapse(TimeSpan time) => _clock.Advance(time);
}
