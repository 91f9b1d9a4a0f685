using System.Text;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>The JSON bodies of reminder and timer callbacks; <c>data</c> is the raw JSON given at registration, omitted when none.</summary>
internal static class ActorCallbackBodies
{
    /// <summary><c>{"data":…,"dueTime":"","period":""}</c>: Scheduler-era daprd (≥1.15) sends empty due time and period.</summary>
    public static byte[] Reminder(string? data) => Write(null, data, "", "");

    public static byte[] Timer(string callback, string? data, string dueTime, string period) =>
        Write(callback, data, dueTime, period);

    private static byte[] Write(string? callback, string? data, string dueTime, string period)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (callback is not null) json.WriteString("callback", callback);
            if (data is not null)
            {
                json.WritePropertyName("data");
                json.WriteRawValue(Encoding.UTF8.GetBytes(data));
            }
            json.WriteString("dueTime", dueTime);
            json.WriteString("period", period);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
