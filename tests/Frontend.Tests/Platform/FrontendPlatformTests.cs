using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace DaprIoT.Frontend.Tests.Platform;

/// <summary>The frontend in front of real sidecars: browsers' REST calls reach each app by Dapr service invocation.</summary>
[Collection(PlatformCollection.Name)]
public sealed class FrontendPlatformTests(FrontendPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_user_signs_up_and_logs_in_and_calls_device_management_through_the_frontend()
    {
        var email = $"user-{Guid.NewGuid():N}@example.com";
        var signUp = await platform.Client.PostAsJsonAsync("/api/auth/signup",
            new { email, password = "correct horse battery", displayName = "Ann" }, Ct);
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        var login = await platform.Client.PostAsJsonAsync("/api/auth/login", new { email, password = "correct horse battery" }, Ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var accessToken = (await login.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("accessToken").GetString();

        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/devices?limit=5");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var devices = await platform.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, devices.StatusCode);
        var received = platform.DeviceManagement.Requests.Last(r => r.Path == "/api/devices?limit=5");
        Assert.Equal("frontend", received.Headers["dapr-caller-app-id"]);
        Assert.Equal($"Bearer {accessToken}", received.Headers["authorization"]);
    }

    [Fact]
    public async Task Auth_errors_pass_through_unchanged()
    {
        var response = await platform.Client.PostAsync("/api/auth/signup",
            new StringContent("""{"email":"not-an-address","password":"short","displayName":"Ann"}""", System.Text.Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("password", out _));
    }

    [Fact]
    public async Task Statistics_answers_through_the_frontend_with_its_own_checks()
    {
        var response = await platform.Client.GetAsync("/api/statistics/devices/dev-1/series", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
