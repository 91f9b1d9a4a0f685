using System.Runtime.ExceptionServices;

namespace DaprIoT.LocalRuntime.Resiliency;

/// <summary>
/// Runs one operation under a target's policies as daprd's policy runner does (<c>pkg/resiliency/policy.go</c>),
/// for every target kind: each attempt passes the circuit breaker (an open breaker fails the call at once and is never
/// retried), runs under the timeout, and is counted by the breaker; a failed attempt is retried after the retry
/// policy's delay while it allows. Without policies it is a single attempt. When attempts run out, the last
/// exception is rethrown or the last result returned, so the caller decides what a final failure means.
/// </summary>
public static class PolicyRunner
{
    /// <param name="isFailure">whether a result counts as a failed attempt (e.g. an HTTP status of 500).</param>
    /// <param name="isAnswer">an exception that is an answer, not a failure of the target (e.g. an ETag mismatch): rethrown at once, never retried.</param>
    /// <param name="onRetry">told before each retry, with the retry's number and why.</param>
    public static async Task<T> RunAsync<T>(
        TargetPolicies? policies,
        Func<CancellationToken, Task<T>> attempt,
        TimeProvider clock,
        CancellationToken cancellationToken,
        Func<T, bool>? isFailure = null,
        Func<Exception, bool>? isAnswer = null,
        Action<int, string>? onRetry = null)
    {
        var retry = policies?.Retry;
        var timeout = policies?.Timeout;
        var breaker = policies?.Breaker;
        for (var retriesDone = 0; ; retriesDone++)
        {
            breaker?.Enter();
            ExceptionDispatchInfo? error = null;
            T? result = default;
            using (var scope = timeout is { } limit ? new CancellationTokenSource(limit, clock) : null)
            using (var attemptScope = scope is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, scope.Token))
            {
                try
                {
                    result = await attempt(attemptScope?.Token ?? cancellationToken).ConfigureAwait(false);
                    var failed = isFailure?.Invoke(result) ?? false;
                    breaker?.Record(!failed);
                    if (!failed) return result;
                }
                catch (Exception e) when (isAnswer?.Invoke(e) == true)
                {
                    breaker?.Record(success: true);
                    throw;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout is not null)
                {
                    breaker?.Record(success: false);
                    error = ExceptionDispatchInfo.Capture(new TimeoutException($"timeout of {timeout.Value.TotalSeconds:0.###} s exceeded"));
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    breaker?.Record(success: false);
                    error = ExceptionDispatchInfo.Capture(e);
                }
            }
            if (retry is null || !retry.AllowsRetry(retriesDone))
            {
                error?.Throw();
                return result!;
            }
            onRetry?.Invoke(retriesDone + 1, error?.SourceException.Message ?? "the attempt failed");
            (result as IDisposable)?.Dispose();
            await Task.Delay(retry.DelayBefore(retriesDone + 1), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>As above, for an operation without a result.</summary>
    public static Task RunAsync(TargetPolicies? policies, Func<CancellationToken, Task> attempt, TimeProvider clock,
        CancellationToken cancellationToken, Func<Exception, bool>? isAnswer = null) =>
        RunAsync(policies, async ct =>
        {
            await attempt(ct).ConfigureAwait(false);
            return true;
        }, clock, cancellationToken, isAnswer: isAnswer);
}
