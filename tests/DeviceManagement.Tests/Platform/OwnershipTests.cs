using System.Net;
using System.Text.Json;
using DaprIoT.Contracts;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>
/// Another user's device, on every route and every hub method, answers exactly as a device that does not exist —
/// even with a body that would be refused, and with nothing of the device in the answer.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class OwnershipTests(DeviceManagementPlatform platform)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string?> Routes => new()
    {
        { "GET", "/api/devices/{0}", null },
        { "PATCH", "/api/devices/{0}", """{"name":"Mine now"}""" },
        { "PATCH", "/api/devices/{0}", """{"name":""}""" },
        { "DELETE", "/api/devices/{0}", null },
        { "POST", "/api/devices/{0}/desired", """{"power":true}""" },
        { "POST", "/api/devices/{0}/desired", """{"targetTempC":1000}""" },
        { "POST", "/api/devices/{0}/desired", "not json" },
        { "POST", "/api/devices/{0}/program", """{"targetTempC":56.5,"durationS":60}""" },
        { "DELETE", "/api/devices/{0}/program", null },
        { "GET", "/api/devices/{0}/events", null },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Another_users_device_is_a_404_exactly_as_an_unknown_one(string method, string route, string? body)
    {
        var (alice, aliceCooker) = await AliceWithCookerAsync();
        var (bobId, bobToken) = await platform.SharedUserAsync("bob");
        var bob = new UserSession(platform.Replica(1), bobId, bobToken);

        var others = await bob.SendAsync(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, route, aliceCooker), body);
        var unknown = await bob.SendAsync(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, route, "cooker-doesnotexist"), body);

        Assert.Equal(HttpStatusCode.NotFound, others.StatusCode);
        var othersBody = await others.Content.ReadAsStringAsync(Ct);
        Assert.Equal((await unknown.Content.ReadAsStringAsync(Ct)).Replace("cooker-doesnotexist", aliceCooker, StringComparison.Ordinal), othersBody);
        Assert.DoesNotContain("Alice's cooker", othersBody, StringComparison.Ordinal);
        Assert.Empty(await bob.ListAsync());

        // Alice's device is untouched: still hers, same name, no command from bob, no program.
        var twin = (await alice.GetAsync(aliceCooker))!;
        Assert.Equal(("Alice's cooker", alice.UserId, true), (twin.Name, twin.Owner, twin.Provisioned));
        Assert.Empty(twin.Commands);
    }

    [Fact]
    public async Task Every_hub_method_refuses_another_users_device_as_not_found()
    {
        var (_, aliceCooker) = await AliceWithCookerAsync();
        var (_, bobToken) = await platform.SharedUserAsync("bob");
        await using var bob = await HubClient.ConnectAsync(platform.ReplicaUrl(0), bobToken);

        var calls = new Func<string, Task>[]
        {
            id => bob.Connection.InvokeAsync<JsonElement>("SetDesired", id, new { heater = true }, Ct),
            id => bob.Connection.InvokeAsync<JsonElement>("SetDesired", id, new { heater = "not a bool" }, Ct),
            id => bob.Connection.InvokeAsync<JsonElement>("StartProgram", id, new { targetTempC = 56.5, durationS = 60 }, Ct),
            id => bob.Connection.InvokeAsync<JsonElement>("StopProgram", id, Ct),
        };
        foreach (var call in calls)
        {
            Assert.EndsWith("HubException: device not found", (await Assert.ThrowsAsync<HubException>(() => call(aliceCooker))).Message, StringComparison.Ordinal);
            Assert.EndsWith("HubException: device not found", (await Assert.ThrowsAsync<HubException>(() => call("cooker-doesnotexist"))).Message, StringComparison.Ordinal);
        }

        var snapshot = await bob.Connection.InvokeAsync<JsonElement>("GetSnapshot", Ct);
        Assert.Equal(0, snapshot.GetProperty("devices").GetArrayLength());
        Assert.All(bob.Messages, m => Assert.Empty(m.Snapshot?.Devices ?? []));
        Assert.DoesNotContain(bob.Messages, m => m.Change is not null);
    }

    /// <summary>Alice (shared) and a new cooker of hers.</summary>
    private async Task<(UserSession Alice, string CookerId)> AliceWithCookerAsync()
    {
        var (aliceId, aliceToken) = await platform.SharedUserAsync("alice");
        var alice = new UserSession(platform.Replica(0), aliceId, aliceToken);
        var cooker = await alice.AddAsync("sousvide", "Alice's cooker");
        return (alice, cooker.DeviceId);
    }
}
