using Xunit;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class TurnLockTests
{
    [Fact]
    public async Task Waiting_turns_are_granted_in_arrival_order()
    {
        var turn = new TurnLock();
        await turn.EnterAsync(null, 32, TestContext.Current.CancellationToken);
        var order = new List<int>();
        var waiters = Enumerable.Range(1, 20).Select(async i =>
        {
            await turn.EnterAsync(null, 32, TestContext.Current.CancellationToken);
            lock (order) order.Add(i);
            await Task.Yield();
            turn.Exit();
        }).ToList();

        turn.Exit();
        await Task.WhenAll(waiters);

        Assert.Equal(Enumerable.Range(1, 20), order);
    }

    [Fact]
    public async Task A_caller_that_gives_up_is_skipped_and_the_next_one_gets_the_turn()
    {
        var turn = new TurnLock();
        await turn.EnterAsync(null, 32, TestContext.Current.CancellationToken);
        using var giveUp = new CancellationTokenSource();
        var abandoned = turn.EnterAsync(null, 32, giveUp.Token);
        var next = turn.EnterAsync(null, 32, TestContext.Current.CancellationToken);

        await giveUp.CancelAsync();
        turn.Exit();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await next;
        Assert.True(turn.IsHeld);
    }

    [Fact]
    public async Task A_call_in_the_same_reentrancy_chain_enters_at_once_up_to_the_stack_depth()
    {
        var turn = new TurnLock();
        await turn.EnterAsync("chain-1", 2, TestContext.Current.CancellationToken);

        var reentrant = turn.EnterAsync("chain-1", 2, TestContext.Current.CancellationToken);
        var other = turn.EnterAsync("chain-2", 2, TestContext.Current.CancellationToken);

        Assert.True(reentrant.IsCompletedSuccessfully);
        Assert.False(other.IsCompleted);
        var tooDeep = Assert.Throws<DaprApiException>(() => { _ = turn.EnterAsync("chain-1", 2, TestContext.Current.CancellationToken); });
        Assert.Equal("ERR_ACTOR_INVOKE_METHOD", tooDeep.ErrorCode);

        turn.Exit();
        Assert.False(other.IsCompleted);
        turn.Exit();
        await other;
    }
}
