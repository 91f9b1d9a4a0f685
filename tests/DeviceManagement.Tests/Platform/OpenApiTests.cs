using System.Text.Json.Nodes;
using DaprIoT.TestSupport;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>The committed OpenAPI document is the one the service serves, so the two cannot drift apart.</summary>
[Collection(PlatformCollection.Name)]
public sealed class OpenApiTests(DeviceManagementPlatform platform)
{
    [Fact]
    public async Task The_committed_openapi_json_is_what_the_service_serves()
    {
        var ct = TestContext.Current.CancellationToken;
        using var replica = platform.Replica(0);
        var served = JsonNode.Parse(await replica.GetStringAsync("/openapi/v1.json", ct));
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "services", "DeviceManagement", "openapi.json"), ct));

        Assert.True(JsonNode.DeepEquals(committed, served),
            "services/DeviceManagement/openapi.json differs from /openapi/v1.json; refresh it from a running service " +
            "(curl http://127.0.0.1:5105/openapi/v1.json > services/DeviceManagement/openapi.json) and check docs/device-api.md still says the same");
        Assert.NotNull(served!["paths"]!["/api/devices/{deviceId}/events"]);
    }
}
