using System.Text.Json;
using DaprIoT.LocalRuntime.Actors;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Actors;

public sealed class ActorHostConfigTests
{
    private static ActorHostConfig Parse(string json) => ActorHostConfig.Parse(JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public void Types_without_settings_get_daprds_defaults()
    {
        var config = Parse("""{"entities":["Device"]}""");

        Assert.Equal(ActorTypeSettings.Default, config.Types["Device"]);
        Assert.Equal(TimeSpan.FromMinutes(60), config.Types["Device"].IdleTimeout);
        Assert.Empty(config.Problems);
    }

    [Fact]
    public void EntitiesConfig_overrides_the_top_level_settings_for_its_types_only()
    {
        var config = Parse("""
            { "entities": ["Device", "Gateway"], "actorIdleTimeout": "1h", "actorScanInterval": "30s",
              "drainOngoingCallTimeout": "60s", "drainRebalancedActors": true,
              "reentrancy": { "enabled": false, "maxStackDepth": 32 }, "remindersStoragePartitions": 0,
              "entitiesConfig": [ { "entities": ["Gateway"], "actorIdleTimeout": "10m",
                                    "reentrancy": { "enabled": true, "maxStackDepth": 8 } } ] }
            """);

        Assert.Equal(new ActorTypeSettings(TimeSpan.FromHours(1), TimeSpan.FromSeconds(60), true, false, 32), config.Types["Device"]);
        Assert.Equal(new ActorTypeSettings(TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(60), true, true, 8), config.Types["Gateway"]);
        Assert.Empty(config.Problems);
    }

    [Fact]
    public void Unusable_values_are_reported_and_replaced_by_the_default()
    {
        var config = Parse("""
            { "entities": ["Device", 7], "actorIdleTimeout": "ten minutes",
              "entitiesConfig": [ { "entities": ["Unknown"], "drainOngoingCallTimeout": "5s" } ] }
            """);

        Assert.Equal(["Device"], config.Types.Keys);
        Assert.Equal(ActorTypeSettings.Default.IdleTimeout, config.Types["Device"].IdleTimeout);
        Assert.Equal(3, config.Problems.Count);
        Assert.Contains(config.Problems, p => p.Contains("actorIdleTimeout 'ten minutes'"));
        Assert.Contains(config.Problems, p => p.Contains("'Unknown', which is not in the top-level entities"));
    }

    [Fact]
    public void An_app_that_answered_no_config_hosts_nothing()
    {
        Assert.Empty(ActorHostConfig.Parse(null).Types);
        Assert.Empty(Parse("""{"entities":[]}""").Types);
    }
}
