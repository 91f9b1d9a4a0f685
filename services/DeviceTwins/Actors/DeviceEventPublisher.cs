using System.Globalization;
using Dapr;
using Dapr.Client;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceTwins.Batching;

namespace DaprIoT.DeviceTwins.Actors;

/// <summary>
/// Publishes the actors' <c>device-events</c>. Every twin change is one event, thousands a second under load, so the
/// events of all the service's actors are committed in groups (<see cref="GroupCommit{T}"/>): one bulk publish carries
/// every event that became due while the previous ones were on their way. An actor's turn still waits until the bus
/// has its own event, and fails if the bus refused it, so nothing is saved as told that was not published.
/// </summary>
public sealed class DeviceEventPublisher
{
    /// <summary>Bulk publishes on their way at once: two, so one round trip does not set the pace, and few, so groups form.</summary>
    private const int PublishesInFlight = 2;

    private const int MaxEventsPerPublish = 200;

    private readonly DaprClient _dapr;
    private readonly GroupCommit<DeviceEvent> _events;

    public DeviceEventPublisher(DaprClient dapr)
    {
        _dapr = dapr;
        _events = new GroupCommit<DeviceEvent>(PublishAsync, MaxEventsPerPublish, PublishesInFlight);
    }

    /// <summary>Completes once the bus has the event; fails with the bus's reason otherwise.</summary>
    public Task PublishAsync(DeviceEvent deviceEvent) => _events.SubmitAsync(deviceEvent);

    private async Task<IReadOnlyList<Exception?>> PublishAsync(IReadOnlyList<DeviceEvent> events)
    {
        var response = await _dapr.BulkPublishEventAsync(ComponentNames.PubSub, Topics.DeviceEvents, events);
        var outcomes = new Exception?[events.Count];
        // The SDK numbers a bulk publish's entries 0, 1, … in the order given.
        foreach (var failed in response.FailedEntries)
        {
            if (int.TryParse(failed.Entry.EntryId, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < events.Count)
                outcomes[index] = new DaprException($"The bus refused device event {events[index].DeviceId} v{events[index].Version}: {failed.ErrorMessage}");
            else
                throw new DaprException($"The bus refused an entry of a bulk publish it did not name ({failed.Entry.EntryId}): {failed.ErrorMessage}");
        }

        return outcomes;
    }
}
