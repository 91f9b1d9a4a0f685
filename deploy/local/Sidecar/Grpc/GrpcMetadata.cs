using System.Text.Json.Nodes;
using Dapr.Client.Autogen.Grpc.v1;

namespace DaprIoT.LocalRuntime.Sidecar.Grpc;

/// <summary>
/// <c>GetMetadata</c> over gRPC: the same description the sidecar serves on <c>GET /v1.0/metadata</c>, in the
/// message daprd answers with, so the two doors cannot disagree.
/// </summary>
internal static class GrpcMetadata
{
    public static GetMetadataResponse From(JsonObject metadata)
    {
        var response = new GetMetadataResponse
        {
            Id = Text(metadata["id"]),
            RuntimeVersion = Text(metadata["runtimeVersion"]),
        };
        foreach (var feature in Items(metadata["enabledFeatures"])) response.EnabledFeatures.Add(Text(feature));
        foreach (var component in Items(metadata["components"]).OfType<JsonObject>())
        {
            var registered = new RegisteredComponents
            {
                Name = Text(component["name"]),
                Type = Text(component["type"]),
                Version = Text(component["version"]),
            };
            foreach (var capability in Items(component["capabilities"])) registered.Capabilities.Add(Text(capability));
            response.RegisteredComponents.Add(registered);
        }
        if (metadata["extended"] is JsonObject extended)
            foreach (var (key, value) in extended) response.ExtendedMetadata[key] = Text(value);
        foreach (var subscription in Items(metadata["subscriptions"]).OfType<JsonObject>())
        {
            var item = new PubsubSubscription
            {
                PubsubName = Text(subscription["pubsubname"]),
                Topic = Text(subscription["topic"]),
                DeadLetterTopic = Text(subscription["deadLetterTopic"]),
                Type = Text(subscription["type"]) == "DECLARATIVE" ? PubsubSubscriptionType.Declarative : PubsubSubscriptionType.Programmatic,
                Rules = new PubsubSubscriptionRules(),
            };
            if (subscription["metadata"] is JsonObject meta)
                foreach (var (key, value) in meta) item.Metadata[key] = Text(value);
            foreach (var rule in Items(subscription["rules"]).OfType<JsonObject>())
                item.Rules.Rules.Add(new PubsubSubscriptionRule { Match = Text(rule["match"]), Path = Text(rule["path"]) });
            response.Subscriptions.Add(item);
        }
        if (metadata["actorRuntime"] is JsonObject actors)
        {
            var runtime = new ActorRuntime
            {
                RuntimeStatus = Text(actors["runtimeStatus"]) == "RUNNING" ? ActorRuntime.Types.ActorRuntimeStatus.Running : ActorRuntime.Types.ActorRuntimeStatus.Initializing,
                HostReady = actors["hostReady"]?.GetValue<bool>() ?? false,
                Placement = Text(actors["placement"]),
            };
            foreach (var active in Items(actors["activeActors"]).OfType<JsonObject>())
                runtime.ActiveActors.Add(new ActiveActorsCount { Type = Text(active["type"]), Count = active["count"]?.GetValue<int>() ?? 0 });
            response.ActorRuntime = runtime;
        }
        if (metadata["appConnectionProperties"] is JsonObject connection)
        {
            var properties = new AppConnectionProperties
            {
                Port = connection["port"]?.GetValue<int>() ?? 0,
                Protocol = Text(connection["protocol"]),
                ChannelAddress = Text(connection["channelAddress"]),
            };
            if (connection["health"] is JsonObject health)
            {
                properties.Health = new AppConnectionHealthProperties
                {
                    HealthCheckPath = Text(health["healthCheckPath"]),
                    HealthProbeInterval = Text(health["healthProbeInterval"]),
                    HealthProbeTimeout = Text(health["healthProbeTimeout"]),
                    HealthThreshold = health["healthThreshold"]?.GetValue<int>() ?? 0,
                };
            }
            response.AppConnectionProperties = properties;
        }
        return response;
    }

    private static IEnumerable<JsonNode?> Items(JsonNode? node) => node as JsonArray ?? [];

    private static string Text(JsonNode? node) => node?.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString() ?? "";
}
