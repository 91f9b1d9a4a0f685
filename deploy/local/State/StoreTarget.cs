using DaprIoT.LocalRuntime.Resiliency;

namespace DaprIoT.LocalRuntime.State;

/// <summary>
/// The store a state API request names, with its key prefix and the component's outbound resiliency policies,
/// which daprd applies to every state call: a timeout per attempt, retries of store failures, the circuit breaker.
/// ETag conflicts are answers, not failures, so they are never retried.
/// </summary>
internal sealed record StoreTarget(string Name, IStateStore Store, StateKeyPrefix Prefix, TargetPolicies? Policies, TimeProvider Clock)
{
    public async Task<T> CallAsync<T>(Func<IStateStore, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await PolicyRunner.RunAsync(Policies, ct => call(Store, ct), Clock, cancellationToken,
                isAnswer: e => e is EtagMismatchException or EtagInvalidException);
        }
        catch (TimeoutException) when (Policies?.Timeout is { } timeout)
        {
            throw new TimeoutException($"state store {Name} did not answer within {timeout}");
        }
    }

    public Task CallAsync(Func<IStateStore, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(async (store, ct) =>
        {
            await call(store, ct);
            return true;
        }, cancellationToken);
}
