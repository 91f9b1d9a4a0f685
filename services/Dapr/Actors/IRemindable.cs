using System.Text.Json;

namespace DaprIoT.Dapr.Actors;

/// <summary>Implemented by actors that register reminders; the sidecar's reminder callbacks arrive here.</summary>
public interface IRemindable
{
    /// <param name="reminderName">The name the reminder was registered with.</param>
    /// <param name="data">The JSON <c>data</c> given at registration, or null.</param>
    /// <param name="dueTime">As daprd sent it: the registered value on daprd 1.14 and older, empty with Scheduler (1.15+).</param>
    /// <param name="period">As daprd sent it; do not depend on it, for the same reason.</param>
    Task ReceiveReminderAsync(string reminderName, JsonElement? data, string dueTime, string period);
}
