using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Actors;

/// <summary>One actor id in this process: its turn lock and, while active, its instance.</summary>
internal sealed class ActorSlot
{
    public SemaphoreSlim Turn { get; } = new(1, 1);

    public Actor? Actor { get; set; }

    public IServiceScope? Scope { get; set; }

    /// <summary>Set under the turn lock when the id is deactivated; a caller that then gets the lock starts over with a new slot.</summary>
    public bool Removed { get; set; }
}
