using DaprIoT.DeviceTwins.Batching;

namespace DaprIoT.DeviceServices.Tests.Batching;

/// <summary>
/// Group commit: a lone item goes at once; items submitted while sends are on their way share the next send, in order;
/// each caller learns the fate of its own item.
/// </summary>
public sealed class GroupCommitTests
{
    /// <summary>A send that waits until the test lets it finish, recording each group it was given.</summary>
    private sealed class HeldSends
    {
        private readonly List<(IReadOnlyList<int> Items, TaskCompletionSource<IReadOnlyList<Exception?>> Done)> _sends = [];

        public IReadOnlyList<IReadOnlyList<int>> Groups { get { lock (_sends) return [.. _sends.Select(s => s.Items)]; } }

        public Task<IReadOnlyList<Exception?>> SendAsync(IReadOnlyList<int> items)
        {
            var done = new TaskCompletionSource<IReadOnlyList<Exception?>>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_sends) _sends.Add((items, done));
            return done.Task;
        }

        public void Complete(int send, IReadOnlyList<Exception?>? outcomes = null)
        {
            (IReadOnlyList<int> Items, TaskCompletionSource<IReadOnlyList<Exception?>> Done) held;
            lock (_sends) held = _sends[send];
            held.Done.SetResult(outcomes ?? new Exception?[held.Items.Count]);
        }

        public void Fail(int send, Exception error)
        {
            lock (_sends) _sends[send].Done.SetException(error);
        }

        public async Task WaitForSendsAsync(int count)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (Groups.Count < count) await Task.Delay(1, timeout.Token);
        }
    }

    [Fact]
    public async Task A_lone_item_is_sent_at_once()
    {
        var sends = new HeldSends();
        var commit = new GroupCommit<int>(sends.SendAsync, maxBatch: 10, maxInFlight: 1);

        var done = commit.SubmitAsync(1);

        Assert.Equal([[1]], sends.Groups);
        Assert.False(done.IsCompleted);
        sends.Complete(0);
        await done;
    }

    [Fact]
    public async Task Items_submitted_while_a_send_is_on_its_way_share_the_next_send_in_order()
    {
        var sends = new HeldSends();
        var commit = new GroupCommit<int>(sends.SendAsync, maxBatch: 10, maxInFlight: 1);

        var first = commit.SubmitAsync(1);
        var waiting = Enumerable.Range(2, 4).Select(commit.SubmitAsync).ToList();
        Assert.Single(sends.Groups);
        Assert.All(waiting, task => Assert.False(task.IsCompleted));

        sends.Complete(0);
        await first;
        await sends.WaitForSendsAsync(2);
        Assert.Equal([2, 3, 4, 5], sends.Groups[1]);
        Assert.All(waiting, task => Assert.False(task.IsCompleted));
        sends.Complete(1);
        await Task.WhenAll(waiting);
    }

    [Fact]
    public async Task A_group_holds_at_most_max_batch_items_and_at_most_max_in_flight_sends_run()
    {
        var sends = new HeldSends();
        var commit = new GroupCommit<int>(sends.SendAsync, maxBatch: 3, maxInFlight: 2);

        var all = Enumerable.Range(1, 8).Select(commit.SubmitAsync).ToList();

        Assert.Equal([[1], [2]], sends.Groups);
        sends.Complete(0);
        await sends.WaitForSendsAsync(3);
        Assert.Equal([3, 4, 5], sends.Groups[2]);
        sends.Complete(1);
        await sends.WaitForSendsAsync(4);
        Assert.Equal([6, 7, 8], sends.Groups[3]);
        sends.Complete(2);
        sends.Complete(3);
        await Task.WhenAll(all);
        Assert.Equal(Enumerable.Range(1, 8), sends.Groups.SelectMany(group => group));
    }

    [Fact]
    public async Task Each_caller_gets_its_own_items_outcome_and_a_failed_send_fails_its_whole_group()
    {
        var sends = new HeldSends();
        var commit = new GroupCommit<int>(sends.SendAsync, maxBatch: 10, maxInFlight: 1);

        var first = commit.SubmitAsync(1);
        var second = commit.SubmitAsync(2);
        var third = commit.SubmitAsync(3);
        sends.Fail(0, new InvalidOperationException("the bus is down"));
        Assert.Equal("the bus is down", (await Assert.ThrowsAsync<InvalidOperationException>(() => first)).Message);

        await sends.WaitForSendsAsync(2);
        sends.Complete(1, [null, new InvalidOperationException("entry 3 refused")]);
        await second;
        Assert.Equal("entry 3 refused", (await Assert.ThrowsAsync<InvalidOperationException>(() => third)).Message);

        // The commit goes on after failures.
        var fourth = commit.SubmitAsync(4);
        await sends.WaitForSendsAsync(3);
        sends.Complete(2);
        await fourth;
    }
}
