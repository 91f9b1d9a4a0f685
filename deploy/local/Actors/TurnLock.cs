using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// daprd's per-actor lock: one turn at a time, waiting callers served strictly in arrival order. With
/// reentrancy, a call carrying the <c>Dapr-Reentrancy-Id</c> of the turn in progress enters at once (up to
/// the type's maxStackDepth nested entries), as daprd's reentrancy lock does.
/// </summary>
internal sealed class TurnLock
{
    private readonly Lock _gate = new();
    private readonly Queue<(TaskCompletionSource Entered, string? ChainId)> _waiting = new();
    private string? _chainId;
    private int _depth;

    public bool IsHeld
    {
        get { lock (_gate) return _depth > 0; }
    }

    /// <summary>Waits for the turn. Throws <see cref="DaprApiException"/> when a reentrant chain is too deep.</summary>
    public Task EnterAsync(string? chainId, int maxStackDepth, CancellationToken cancellationToken)
    {
        TaskCompletionSource entered;
        lock (_gate)
        {
            if (_depth == 0)
            {
                _depth = 1;
                _chainId = chainId;
                return Task.CompletedTask;
            }
            if (chainId is not null && chainId == _chainId)
            {
                if (_depth >= maxStackDepth) throw ActorErrors.Invoke("maximum stack depth exceeded");
                _depth++;
                return Task.CompletedTask;
            }
            entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue((entered, chainId));
        }
        if (!cancellationToken.CanBeCanceled) return entered.Task;
        var registration = cancellationToken.Register(() => entered.TrySetCanceled(cancellationToken));
        return entered.Task.ContinueWith(
            t => { registration.Dispose(); return t; },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Waits for the turn for at most <paramref name="timeout"/> (or until cancelled); false when it did not come.</summary>
    public async Task<bool> TryEnterAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        using var expiry = new CancellationTokenSource(timeout, clock);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(expiry.Token, cancellationToken);
        try
        {
            await EnterAsync(null, int.MaxValue, cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Exit()
    {
        lock (_gate)
        {
            if (_depth == 0) throw new InvalidOperationException("The actor turn is not held.");
            if (--_depth > 0) return;
            _chainId = null;
            while (_waiting.TryDequeue(out var next))
            {
                // A waiter whose caller gave up is skipped; the turn goes to the next one in line.
                if (!next.Entered.TrySetResult()) continue;
                _depth = 1;
                _chainId = next.ChainId;
                return;
            }
        }
    }
}
