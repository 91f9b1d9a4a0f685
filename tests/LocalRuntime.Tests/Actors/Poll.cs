using Xunit;
using System.Net.Http.Json;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.Tests.Actors;

internal static class Poll
{
    /// <summary>Waits until <paramref name="condition"/> holds, checking every 20 ms, failing after <paramref name="timeout"/> (default 10 s).</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(condition, () => what, timeout);

    /// <summary>As above, with a description computed when the wait fails (to show what was seen instead).</summary>
    public static async Task UntilAsync(Func<bool> condition, Func<string> what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting until {what()}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Reads a Dapr error body and checks its code.</summary>
    public static async Task<string> ErrorAsync(HttpResponseMessage response, int status, string errorCode)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        using var body = JsonDocument.Parse(text);
        Assert.Equal(errorCode, body.RootElement.GetProperty("errorCode").GetString());
        return body.RootElement.GetProperty("message").GetString()!;
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

    public static Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response) =>
        response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
}
