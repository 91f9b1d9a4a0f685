using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.Api;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>A signed-in user's calls to the device API of one replica, as a browser makes them.</summary>
public sealed class UserSession(HttpClient api, string userId, string token)
{
    public string UserId { get; } = userId;

    public string Token { get; } = token;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, string? tokenOverride = null, bool anonymous = false)
    {
        var request = new HttpRequestMessage(method, path);
        if (!anonymous) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokenOverride ?? Token);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return api.SendAsync(request, Ct);
    }

    public async Task<AddedDevice> AddAsync(string type, string name)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/devices", JsonSerializer.Serialize(new { type, name }));
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<AddedDevice>(ContractJson.Options, Ct))!;
    }

    public async Task<IReadOnlyList<DeviceTwinView>> ListAsync()
    {
        var response = await SendAsync(HttpMethod.Get, "/api/devices");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<DeviceList>(ContractJson.Options, Ct))!.Devices;
    }

    public async Task<DeviceTwinView?> GetAsync(string deviceId)
    {
        var response = await SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<DeviceTwinView>(ContractJson.Options, Ct) : null;
    }

    public async Task<string> SetDesiredAsync(string deviceId, object patch)
    {
        var response = await SendAsync(HttpMethod.Post, $"/api/devices/{deviceId}/desired", JsonSerializer.Serialize(patch));
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<CommandAccepted>(Ct))!.CommandId;
    }
}
