using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.TestSupport;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>The REST API against the real auth and device services: a device's life, and bad requests named field by field.</summary>
[Collection(PlatformCollection.Name)]
public sealed class DevicesApiTests(DeviceManagementPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private async Task<UserSession> NewSessionAsync(int replica = 0)
    {
        var (userId, token) = await platform.NewUserAsync();
        return new UserSession(platform.Replica(replica), userId, token);
    }

    [Fact]
    public async Task A_bulb_is_added_listed_at_once_commanded_renamed_and_removed()
    {
        var alice = await NewSessionAsync();

        var added = await alice.AddAsync("lightbulb", "  Desk lamp ");

        Assert.Matches("^bulb-[a-z0-9]{12}$", added.DeviceId);
        Assert.Equal(("lightbulb", "Desk lamp"), (added.Type, added.Name));
        Assert.Equal(new MqttCredentials("127.0.0.1", platform.BrokerPort, added.DeviceId, added.DeviceId, added.Mqtt.Password), added.Mqtt);
        Assert.False(string.IsNullOrEmpty(added.Mqtt.Password));
        // Visible to its owner at once, on either replica, before its event went through the bus.
        var listed = Assert.Single(await alice.ListAsync());
        Assert.Equal((added.DeviceId, "lightbulb", alice.UserId, "Desk lamp", true), (listed.DeviceId, listed.DeviceType, listed.Owner, listed.Name, listed.Provisioned));
        Assert.Equal(added.DeviceId, Assert.Single(await new UserSession(platform.Replica(1), alice.UserId, alice.Token).ListAsync()).DeviceId);
        // As the frontend's edge routing calls it: Dapr service invocation, the token passed along.
        using var invoked = new HttpClient { BaseAddress = new Uri($"{platform.Runtime.SidecarUrl(AppIds.Auth)}/v1.0/invoke/{AppIds.DeviceManagement}/method/") };
        var throughDapr = await new UserSession(invoked, alice.UserId, alice.Token).SendAsync(HttpMethod.Get, $"api/devices/{added.DeviceId}");
        Assert.Equal(HttpStatusCode.OK, throughDapr.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new UserSession(invoked, alice.UserId, "").SendAsync(HttpMethod.Get, "api/devices", anonymous: true)).StatusCode);

        var commandId = await alice.SetDesiredAsync(added.DeviceId, new { power = true, brightnessPct = 40 });
        Assert.Equal(HttpStatusCode.NoContent, (await alice.SendAsync(HttpMethod.Patch, $"/api/devices/{added.DeviceId}", """{"name":"Reading lamp"}""")).StatusCode);

        var twin = await Eventually.UntilAsync(_ => alice.GetAsync(added.DeviceId),
            t => t is { Name: "Reading lamp" } && t.Properties.GetValueOrDefault("brightnessPct")?.Desired?.GetInt32() == 40,
            "the twin shows the new name and desired brightness", t => JsonSerializer.Serialize(t, ContractJson.Options), Patience, Ct);
        Assert.Equal(commandId, twin!.Properties["brightnessPct"].CommandId);
        Assert.Contains(twin.Commands, c => c.Id == commandId);

        var timeline = await Eventually.UntilAsync(_ => EventsAsync(alice, added.DeviceId, "?limit=10"),
            // The bus does not order deliveries: the provisioning's event may reach the read model after the rename's.
            e => e.Events.Any(x => x.Changes.Contains(DeviceChanges.Renamed)) && e.Events.Any(x => x.Changes.Contains(DeviceChanges.Provisioned)),
            "the timeline holds the provisioning and the rename", e => JsonSerializer.Serialize(e), Patience, Ct);
        Assert.Equal(timeline.Events.OrderByDescending(e => e.Version).Select(e => e.Version), timeline.Events.Select(e => e.Version));
        Assert.Single((await EventsAsync(alice, added.DeviceId, "?limit=1")).Events);

        Assert.Equal(HttpStatusCode.NoContent, (await alice.SendAsync(HttpMethod.Delete, $"/api/devices/{added.DeviceId}")).StatusCode);

        Assert.Empty(await alice.ListAsync());
        Assert.Null(await alice.GetAsync(added.DeviceId));
        // The removal's event arrives after the REST call already hid the device; nothing brings it back.
        await Task.Delay(500, Ct);
        Assert.Empty(await alice.ListAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.SendAsync(HttpMethod.Get, $"/api/devices/{added.DeviceId}/events")).StatusCode);
    }

    [Fact]
    public async Task A_cooker_starts_and_stops_a_program()
    {
        var alice = await NewSessionAsync(replica: 1);
        var cooker = await alice.AddAsync("sousvide", "Kitchen cooker");
        Assert.Matches("^cooker-[a-z0-9]{12}$", cooker.DeviceId);

        var started = await alice.SendAsync(HttpMethod.Post, $"/api/devices/{cooker.DeviceId}/program", """{"targetTempC":56.5,"durationS":3600}""");
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var startId = (await started.Content.ReadFromJsonAsync<CommandAccepted>(Ct))!.CommandId;
        var running = await Eventually.UntilAsync(_ => alice.GetAsync(cooker.DeviceId), t => t?.Program?.CommandId == startId,
            "the twin shows the program", t => JsonSerializer.Serialize(t, ContractJson.Options), Patience, Ct);
        Assert.Equal((56.5m, 3600, ProgramStatus.Running), (running!.Program!.TargetTempC, running.Program.DurationS, running.Program.Status));

        var stopped = await alice.SendAsync(HttpMethod.Delete, $"/api/devices/{cooker.DeviceId}/program");
        Assert.Equal(HttpStatusCode.Accepted, stopped.StatusCode);
        await Eventually.UntilAsync(_ => alice.GetAsync(cooker.DeviceId), t => t?.Program?.Status == ProgramStatus.Stopped,
            "the program is stopped", t => JsonSerializer.Serialize(t, ContractJson.Options), Patience, Ct);

        // Nothing runs now: the actor's refusal comes back naming the field.
        var again = await alice.SendAsync(HttpMethod.Delete, $"/api/devices/{cooker.DeviceId}/program");
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Contains("program", (await ErrorsOf(again)).Keys);
    }

    public static TheoryData<string, string, string, string> BadRequests => new()
    {
        // route (DEVICE = a bulb, COOKER = a cooker), method, body, the field named
        { "/api/devices", "POST", "{not json", "body" },
        { "/api/devices", "POST", "", "body" },
        { "/api/devices", "POST", "[1,2]", "body" },
        { "/api/devices", "POST", """{"type":"toaster","name":"Toast"}""", "type" },
        { "/api/devices", "POST", """{"type":"lightbulb","name":"   "}""", "name" },
        { "/api/devices", "POST", """{"type":"lightbulb","name":"x","colour":"red"}""", "colour" },
        { "/api/devices/DEVICE", "PATCH", """{"name":42}""", "name" },
        { "/api/devices/DEVICE", "PATCH", """{"name":"ok","owner":"mallory"}""", "owner" },
        { "/api/devices/DEVICE/desired", "POST", """{"brightnessPct":150}""", "brightnessPct" },
        { "/api/devices/DEVICE/desired", "POST", """{"power":"yes"}""", "power" },
        { "/api/devices/DEVICE/desired", "POST", """{"colorTempK":2000}""", "colorTempK" },
        { "/api/devices/DEVICE/desired", "POST", """{"heater":true}""", "heater" },
        { "/api/devices/DEVICE/desired", "POST", """{"heater":true,"brightnessPct":150}""", "brightnessPct" },
        { "/api/devices/DEVICE/desired", "POST", "{}", "body" },
        { "/api/devices/DEVICE/desired", "POST", "{\"power\":", "body" },
        { "/api/devices/COOKER/desired", "POST", """{"targetTempC":56.55}""", "targetTempC" },
        { "/api/devices/COOKER/desired", "POST", """{"brightnessPct":10}""", "brightnessPct" },
        { "/api/devices/COOKER/desired", "POST", """{"waterTempC":60}""", "waterTempC" },
        { "/api/devices/COOKER/program", "POST", """{"targetTempC":56.5}""", "durationS" },
        { "/api/devices/COOKER/program", "POST", """{"targetTempC":120,"durationS":60}""", "targetTempC" },
        { "/api/devices/COOKER/program", "POST", """{"targetTempC":56.5,"durationS":-1}""", "durationS" },
        { "/api/devices/DEVICE/program", "POST", """{"targetTempC":56.5,"durationS":60}""", "deviceId" },
        { "/api/devices/DEVICE/program", "DELETE", "", "deviceId" },
        { "/api/devices/DEVICE/events?limit=0", "GET", "", "limit" },
        { "/api/devices/DEVICE/events?limit=lots", "GET", "", "limit" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_is_a_400_naming_the_field(string route, string method, string body, string field)
    {
        var alice = await SharedOwnerAsync();
        var path = route.Replace("DEVICE", _bulb!.DeviceId, StringComparison.Ordinal).Replace("COOKER", _cooker!.DeviceId, StringComparison.Ordinal);

        var response = await alice.SendAsync(new HttpMethod(method), path, method is "GET" or "DELETE" ? null : body);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} {body}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(field, (await ErrorsOf(response)).Keys);
    }

    // One owner with a bulb and a cooker for all bad-request cases: the cases check the API, not the actors.
    private static AddedDevice? _bulb;
    private static AddedDevice? _cooker;

    private async Task<UserSession> SharedOwnerAsync()
    {
        var (userId, token) = await platform.SharedUserAsync("bad-requests");
        var owner = new UserSession(platform.Replica(0), userId, token);
        _bulb ??= await owner.AddAsync("lightbulb", "Bad-request bulb");
        _cooker ??= await owner.AddAsync("sousvide", "Bad-request cooker");
        return owner;
    }

    private static async Task<DeviceEvents> EventsAsync(UserSession session, string deviceId, string query)
    {
        var response = await session.SendAsync(HttpMethod.Get, $"/api/devices/{deviceId}/events{query}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<DeviceEvents>(Ct))!;
    }

    private static async Task<Dictionary<string, string[]>> ErrorsOf(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
}
