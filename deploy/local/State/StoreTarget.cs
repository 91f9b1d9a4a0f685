using DaprIoT.LocalRuntime.Resiliency;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// The store a state API request names, with its key prefix and the component's outbound resiliency policy,
/// which daprd applies to every state call: a timeout per attempt and retries of store failures. ETag
/// conflicts are answers, not failures, so they are never retried.
/// </summary>
internal sealed record StoreTarget(string Name, IStateStore Store, StateKeyPrefix Prefix, TargetPolicies? Policies)
{
    public async Task<T> CallAsync<T>(Func<IStateStore, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var retry = Policies?.Retry ?? RetryPolicy.None;
        for (var retries = 0; ; retries++)
        {
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (Policies?.Timeout is { } timeout) attempt.CancelAfter(timeout);
                try
                {
                    return await call(Store, attempt.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"state store {Name} did not answer within {Policies?.Timeout}");
                }
            }
            catch (Exception e) when (e is not (EtagMismatchException or EtagInvalidException or OperationCanceledException)
                                      && retry.AllowsRetry(retries))
            {
                await Task.Delay(retry.DelayBefore(retries + 1), cancellationToken);
            }
        }
    }

    public Task CallAsync(Func<IStateStore, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(async (store, ct) =>
        {
            await call(store, ct);
            return true;
        }, cancellationToken);
}
