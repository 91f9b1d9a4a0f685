namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// One binding component instance of one sidecar, as daprd's components-contrib bindings are: it publishes
/// what the app sends (<see cref="InvokeAsync"/>) and reads events for the app. The generic parts (direction,
/// route, the OPTIONS probe, resiliency, HTTP) are the <see cref="BindingsFeature"/>'s.
/// </summary>
internal interface IBindingComponent : IAsyncDisposable
{
    /// <summary>The operations <see cref="InvokeAsync"/> accepts, e.g. <c>create</c>.</summary>
    IReadOnlyList<string> Operations { get; }

    /// <summary>What became of the events this component read.</summary>
    InputBindingCounters Counters { get; }

    /// <summary>Performs one output operation; throws with daprd's error text on failure.</summary>
    Task InvokeAsync(OutputBindingInvocation invocation, CancellationToken cancellationToken);

    /// <summary>
    /// Starts reading; every event goes to <paramref name="handler"/>, which throws when the app did not accept it.
    /// Returns false when the component cannot read at all (the reason is logged).
    /// </summary>
    Task<bool> StartReadingAsync(Func<InputBindingEvent, CancellationToken, Task> handler, CancellationToken cancellationToken);

    /// <summary>Stops reading and lets events already received finish, unless <paramref name="cancellationToken"/> fires. Idempotent.</summary>
    Task StopReadingAsync(CancellationToken cancellationToken);
}
