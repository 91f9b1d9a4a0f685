using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// A reminder as persisted in the actor state store. Like daprd ≤1.14, reminders live in JSON arrays rather than a
/// key each (a state store cannot list keys), but spread over <see cref="Partitions"/> keys per actor type by actor
/// id, <c>actors||{appId}||{actorType}||{partition}</c>, so a change rewrites a small array, not every reminder of
/// the type; and scoped by app id, as the Scheduler scopes them, so apps sharing a store (or runtimes sharing a
/// Redis) never overwrite each other's reminders. Apps cannot observe the layout. Each entry keeps the registered
/// strings (returned by <c>GET …/reminders/{name}</c>) and its progress: the next due time (<c>registeredTime</c>,
/// as daprd's field) and the firings left, so a restart neither repeats nor loses one.
/// </summary>
internal sealed record StoredReminder(
    string ActorType,
    string ActorId,
    string Name,
    string? Data,
    string DueTime,
    string Period,
    string Ttl,
    DateTimeOffset NextDue,
    DateTimeOffset? ExpiresAt,
    int RepeatsLeft)
{
    public string Key => $"{ActorId}||{Name}";

    public ActorSchedule Schedule => new(NextDue, ActorPeriod.Parse(Period).WithRepeats(RepeatsLeft), ExpiresAt);

    public StoredReminder WithSchedule(ActorSchedule schedule) =>
        this with { NextDue = schedule.NextDue, ExpiresAt = schedule.ExpiresAt, RepeatsLeft = schedule.Period.Repeats };

    public const int Partitions = 64;

    /// <summary>Computed once: <c>with</c> never changes the actor id.</summary>
    public int Partition { get; } = PartitionOf(ActorId);

    public static int PartitionOf(string actorId) => (int)(HashRing.Hash(actorId) % Partitions);

    public static string StoreKey(string appId, string actorType, int partition) => $"actors||{appId}||{actorType}||{partition}";

    public static byte[] Serialize(IEnumerable<StoredReminder> reminders)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var reminder in reminders)
            {
                json.WriteStartObject();
                json.WriteString("actorID", reminder.ActorId);
                json.WriteString("actorType", reminder.ActorType);
                json.WriteString("name", reminder.Name);
                if (reminder.Data is not null)
                {
                    json.WritePropertyName("data");
                    json.WriteRawValue(Encoding.UTF8.GetBytes(reminder.Data));
                }
                json.WriteString("dueTime", reminder.DueTime);
                json.WriteString("period", reminder.Period);
                json.WriteString("ttl", reminder.Ttl);
                json.WriteString("registeredTime", reminder.NextDue.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                if (reminder.ExpiresAt is { } expires)
                    json.WriteString("expirationTime", expires.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                json.WriteNumber("repeatsLeft", reminder.RepeatsLeft);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads the stored array. Throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static IReadOnlyList<StoredReminder> Deserialize(string actorType, byte[] value)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("the value is not a JSON array");
            var reminders = new List<StoredReminder>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                string Text(string name) => item.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                var name = Text("name");
                var actorId = Text("actorID");
                if (name.Length == 0 || actorId.Length == 0) throw new FormatException("an entry has no name or actorID");
                var period = Text("period");
                ActorPeriod.Parse(period);
                var next = DateTimeOffset.Parse(Text("registeredTime"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                DateTimeOffset? expires = Text("expirationTime") is { Length: > 0 } e
                    ? DateTimeOffset.Parse(e, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                    : null;
                var repeats = item.TryGetProperty("repeatsLeft", out var r) && r.TryGetInt32(out var left) ? left : ActorPeriod.Parse(period).Repeats;
                var data = item.TryGetProperty("data", out var d) ? d.GetRawText() : null;
                reminders.Add(new StoredReminder(actorType, actorId, name, data, Text("dueTime"), period, Text("ttl"), next, expires, repeats));
            }
            return reminders;
        }
        catch (JsonException e)
        {
            throw new FormatException($"the value is not valid JSON: {e.Message}");
        }
    }
}
