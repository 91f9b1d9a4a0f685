namespace DaprIoT.Dapr.Actors;

/// <summary>The hosted actor types and the runtime settings reported to the sidecar on <c>GET /dapr/config</c>.</summary>
public sealed class ActorRuntimeOptions
{
    private readonly List<ActorTypeRegistration> _registrations = [];

    /// <summary>Deactivate an actor after this long without calls or reminders (Dapr's default: 60 minutes).</summary>
    public TimeSpan ActorIdleTimeout { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Documented by Dapr but not read by daprd 1.14+; sent for older sidecars.</summary>
    public TimeSpan ActorScanInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan DrainOngoingCallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public bool DrainRebalancedActors { get; set; } = true;

    /// <summary>Deprecated reminder partitioning of daprd 1.14 and older (state-store reminders); omitted when null.</summary>
    public int? RemindersStoragePartitions { get; set; }

    /// <summary>
    /// Runs one call at a time per actor id in this process (default). daprd serialises calls per actor as well; turn
    /// this off only in conformance tests that must observe the sidecar's own lock. Activation stays serialised either way.
    /// </summary>
    public bool EnforceTurnsInApp { get; set; } = true;

    internal IReadOnlyList<ActorTypeRegistration> Registrations => _registrations;

    /// <summary>Hosts <typeparamref name="TActor"/> under <paramref name="typeName"/> (default: the class name).</summary>
    public void RegisterActor<TActor>(string? typeName = null, Action<ActorTypeOptions>? configure = null)
        where TActor : Actor
    {
        var name = typeName ?? typeof(TActor).Name;
        if (_registrations.Any(registration => registration.TypeName == name))
        {
            throw new InvalidOperationException($"Actor type '{name}' is registered twice; each type name may be hosted by one class.");
        }

        var options = new ActorTypeOptions();
        configure?.Invoke(options);
        _registrations.Add(new ActorTypeRegistration(name, typeof(TActor), options));
    }
}
