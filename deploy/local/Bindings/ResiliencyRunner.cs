using System.Runtime.ExceptionServices;
using DaprIoT.LocalRuntime.Resiliency;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// Runs one operation under a Resiliency target's retry and timeout, like daprd's policy runner: without a
/// policy it is a single attempt; with one, an exception, a timeout or a result the caller calls a failure
/// starts the next attempt after the policy's delay. When attempts run out, the last exception is rethrown or
/// the last result returned, so the caller decides what a final non-success means.
/// </summary>
internal static class ResiliencyRunner
{
    public static async Task<T> RunAsync<T>(
        TargetPolicies? policies,
        Func<CancellationToken, Task<T>> attempt,
        Func<T, bool> isFailure,
        CancellationToken cancellationToken)
    {
        var retry = policies?.Retry;
        var timeout = policies?.Timeout;
        for (var retriesDone = 0; ; retriesDone++)
        {
            ExceptionDispatchInfo? error = null;
            T? result = default;
            using (var attemptScope = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (timeout is { } limit) attemptScope.CancelAfter(limit);
                try
                {
                    result = await attempt(attemptScope.Token).ConfigureAwait(false);
                    if (!isFailure(result)) return result;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout is not null)
                {
                    error = ExceptionDispatchInfo.Capture(new TimeoutException($"timeout of {timeout.Value.TotalSeconds:0.###} s exceeded"));
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    error = ExceptionDispatchInfo.Capture(e);
                }
            }
            if (retry is null || !retry.AllowsRetry(retriesDone))
            {
                error?.Throw();
                return result!;
            }
            (result as IDisposable)?.Dispose();
            await Task.Delay(retry.DelayBefore(retriesDone + 1), cancellationToken).ConfigureAwait(false);
        }
    }
}
