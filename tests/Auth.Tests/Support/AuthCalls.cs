using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Auth.Api;

namespace DaprIoT.Auth.Tests.Support;

/// <summary>
/// The calls a browser makes, on a client whose base address is the auth app (in-process) or its invocation URL
/// through a sidecar (<c>…/v1.0/invoke/auth/method/</c>), so one test reads the same either way.
/// </summary>
public static class AuthCalls
{
    public const string Password = "correct horse battery";

    public static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    public static Task<HttpResponseMessage> SignUpAsync(this HttpClient client, string email, string password = Password,
        string displayName = "Ann Example") =>
        client.PostAsJsonAsync("api/auth/signup", new { email, password, displayName }, TestContext.Current.CancellationToken);

    public static Task<HttpResponseMessage> LoginAsync(this HttpClient client, string email, string password = Password) =>
        client.PostAsJsonAsync("api/auth/login", new { email, password }, TestContext.Current.CancellationToken);

    public static Task<HttpResponseMessage> RefreshAsync(this HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync("api/auth/refresh", new { refreshToken }, TestContext.Current.CancellationToken);

    public static Task<HttpResponseMessage> LogoutAsync(this HttpClient client, string refreshToken) =>
        client.PostAsJsonAsync("api/auth/logout", new { refreshToken }, TestContext.Current.CancellationToken);

    /// <summary>GET with a bearer token (none when null).</summary>
    public static Task<HttpResponseMessage> GetWithTokenAsync(this HttpClient client, string path, string? accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accessToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Signs up and logs in a new user; returns the e-mail and the login's tokens.</summary>
    public static async Task<(string Email, TokenResponse Tokens)> NewSessionAsync(this HttpClient client)
    {
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await client.SignUpAsync(email)).StatusCode);
        return (email, await TokensOf(await client.LoginAsync(email)));
    }

    public static async Task<TokenResponse> TokensOf(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.OK, await DescribeAsync(response));
        return (await response.Content.ReadFromJsonAsync<TokenResponse>(TestContext.Current.CancellationToken))!;
    }

    /// <summary>The ProblemDetails body as JSON (status, title, errors…), after checking its media type.</summary>
    public static async Task<JsonElement> ProblemOf(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    public static async Task<string> DescribeAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}";
}
