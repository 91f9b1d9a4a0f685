using System.Net.Http.Json;
using System.Text.Json;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>HTTP helpers for the actor tests: Dapr error bodies and JSON requests.</summary>
internal static class ActorTestHttp
{
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
