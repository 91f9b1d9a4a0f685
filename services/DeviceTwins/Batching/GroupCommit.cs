using System.Collections.Concurrent;

namespace DaprIoT.DeviceTwins.Batching;

/// <summary>
/// Group commit: items submitted from many callers (actor turns, provisioning calls) go out together, one send per
/// group instead of one per item. A lone item is sent at once; while <c>maxInFlight</c> sends are on their way, new
/// items wait, and the next send carries every item that waited (up to <c>maxBatch</c>), in the order submitted. So an
/// idle service adds no delay, and a busy one sends fewer, larger requests the busier it gets: the longer a send
/// takes, the more it carries next time. Each caller's task completes when the send carrying its item has succeeded,
/// or fails with that item's error, so a caller never takes an item for delivered that was not.
/// </summary>
/// <param name="send">
/// Sends a group; returns, per item and in order, null for delivered or the reason it was not. A thrown exception
/// fails every item of the group.
/// </param>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task<IReadOnlyList<Exception?>>> send, int maxBatch, int maxInFlight)
{
    private readonly ConcurrentQueue<Pending> _waiting = new();
    private int _inFlight;

    public GroupCommit(Func<IReadOnlyList<T>, Task> send, int maxBatch, int maxInFlight)
        : this(async items => { await send(items); return new Exception?[items.Count]; }, maxBatch, maxInFlight)
    {
    }

    public Task SubmitAsync(T item)
    {
        var pending = new Pending(item);
        _waiting.Enqueue(pending);
        StartSends();
        return pending.Done.Task;
    }

    /// <summary>Starts as many sends as the in-flight limit allows and there are items waiting for.</summary>
    private void StartSends()
    {
        while (!_waiting.IsEmpty)
        {
            var inFlight = Volatile.Read(ref _inFlight);
            if (inFlight >= maxInFlight) return;
            if (Interlocked.CompareExchange(ref _inFlight, inFlight + 1, inFlight) != inFlight) continue;

            var group = new List<Pending>();
            while (group.Count < maxBatch && _waiting.TryDequeue(out var pending)) group.Add(pending);
            if (group.Count == 0)
            {
                // Another send took them between the check and the claim.
                Interlocked.Decrement(ref _inFlight);
                continue;
            }

            _ = SendAsync(group);
        }
    }

    private async Task SendAsync(List<Pending> group)
    {
        try
        {
            var outcomes = await send([.. group.Select(pending => pending.Item)]);
            for (var i = 0; i < group.Count; i++)
            {
                if (i < outcomes.Count && outcomes[i] is { } error) group[i].Done.TrySetException(error);
                else group[i].Done.TrySetResult();
            }
        }
        catch (Exception e)
        {
            foreach (var pending in group) pending.Done.TrySetException(e);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            // Items that arrived while this send was on its way must not wait for a next submitter.
            StartSends();
        }
    }

    private sealed record Pending(T Item)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
