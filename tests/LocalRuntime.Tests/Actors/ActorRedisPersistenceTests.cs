using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Actors;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.State;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

/// <summary>Actor reminders and state kept in the real Redis on 127.0.0.1:6379, across runtime restarts.</summary>
public sealed class ActorRedisPersistenceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<IStateStore> OpenRedisAsync(TimeProvider clock) => StateStoreFactory.OpenAsync(
        new ComponentSpec("actorstore", "state.redis", "v1",
            new Dictionary<string, string> { ["redisHost"] = "127.0.0.1:6379", ["actorStateStore"] = "true" },
            [], false, "components/actorstore.yaml"),
        clock, Ct);

    [Fact]
    public async Task A_reminder_kept_in_Redis_fires_after_the_runtime_is_torn_down_and_rebuilt()
    {
        var clock = new ManualClock();
        var appId = $"cookers-{Guid.NewGuid():N}";
        var reminderKey = StoredReminder.StoreKey(appId, "Cooker", StoredReminder.PartitionOf("c1"));
        try
        {
            await using (var firstStore = await OpenRedisAsync(clock))
            await using (var before = new ActorTestRuntime(clock))
            {
                var host = await before.AddSidecarAsync(appId, $"{appId}-0", ActorTestRuntime.HostConfig("Cooker"), firstStore, Ct);
                using var created = await host.Client.PostJsonAsync("v1.0/actors/Cooker/c1/reminders/off",
                    """{"dueTime":"1m","period":"R2/PT1M","data":"heater"}""");
                Assert.Equal(HttpStatusCode.NoContent, created.StatusCode);
            }

            await using var secondStore = await OpenRedisAsync(clock);
            await using var after = new ActorTestRuntime(clock);
            var restarted = await after.AddSidecarAsync(appId, $"{appId}-0", ActorTestRuntime.HostConfig("Cooker"), secondStore, Ct);
            clock.Advance(TimeSpan.FromMinutes(1));
            await Poll.UntilAsync(() => restarted.App.Calls.Any(c => c.Method == "remind/off"), "the reminder fires after the restart");
            Assert.Equal("""{"data":"heater","dueTime":"","period":""}""", restarted.App.Calls.First(c => c.Method == "remind/off").Body);
            await Poll.UntilAsync(() => Encoding.UTF8.GetString(secondStore.GetAsync(reminderKey, Ct).Result?.Value ?? []).Contains("\"repeatsLeft\":1"),
                "the firing is recorded in Redis");

            clock.Advance(TimeSpan.FromMinutes(1));
            await Poll.UntilAsync(() => restarted.App.Calls.Count(c => c.Method == "remind/off") == 2, "the second and last firing");
            await Poll.UntilAsync(() => secondStore.GetAsync(reminderKey, Ct).Result is null, "the finished reminder is removed from Redis");
        }
        finally
        {
            await using var cleanup = await OpenRedisAsync(TimeProvider.System);
            await cleanup.DeleteAsync(new StateDelete(reminderKey), Ct);
        }
    }

    [Fact]
    public async Task Actor_state_saved_through_one_runtime_is_read_through_the_next_from_Redis()
    {
        var appId = $"devices-{Guid.NewGuid():N}";
        var stateKey = $"{appId}||Device||d1||firmware";
        try
        {
            await using (var firstStore = await OpenRedisAsync(TimeProvider.System))
            await using (var before = new ActorTestRuntime())
            {
                var host = await before.AddSidecarAsync(appId, $"{appId}-0", ActorTestRuntime.HostConfig("Device"), firstStore, Ct);
                (await host.Client.PostAsync("v1.0/actors/Device/d1/method/Hello", null, Ct)).Dispose();
                using var saved = await host.Client.PostJsonAsync("v1.0/actors/Device/d1/state",
                    """[{"operation":"upsert","request":{"key":"firmware","value":{"version":"2.0.1"}}}]""");
                Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
            }

            await using var secondStore = await OpenRedisAsync(TimeProvider.System);
            await using var after = new ActorTestRuntime();
            var restarted = await after.AddSidecarAsync(appId, $"{appId}-0", ActorTestRuntime.HostConfig("Device"), secondStore, Ct);
            using var read = await restarted.Client.GetAsync("v1.0/actors/Device/d1/state/firmware", Ct);

            Assert.Equal("2.0.1", (await read.ReadJsonAsync()).GetProperty("version").GetString());
            Assert.NotNull(await secondStore.GetAsync(stateKey, Ct));
        }
        finally
        {
            await using var cleanup = await OpenRedisAsync(TimeProvider.System);
            await cleanup.DeleteAsync(new StateDelete(stateKey), Ct);
        }
    }
}
