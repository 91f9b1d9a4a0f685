using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>The bindings block as the runtime composes it: component YAML → each replica's sidecar → its app.</summary>
public sealed class MqttBindingThroughTheRuntimeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_binding_declared_in_yaml_reaches_every_replica_with_its_own_uuid_client_and_publishes_for_the_app()
    {
        var ct = TestContext.Current.CancellationToken;
        var appId = $"lightbulb-{Guid.NewGuid():N}";
        var prefix = $"dapriot-test/{Guid.NewGuid():N}/lightbulb";
        await using var first = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var second = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - appID: {{appId}}
                appDirPath: ./apps/lightbulb
                appPort: {{first.Port}}
              - appID: {{appId}}
                appDirPath: ./apps/lightbulb
                appPort: {{second.Port}}
            """, new Dictionary<string, string>
            {
                ["bulb-mqtt.yaml"] = $$"""
                    apiVersion: dapr.io/v1alpha1
                    kind: Component
                    metadata: { name: bulb-mqtt }
                    spec:
                      type: bindings.mqtt3
                      version: v1
                      metadata:
                        - { name: url, value: "{{TestMqtt.SharedUrl}}" }
                        - { name: topic, value: "{{prefix}}/+/state" }
                        - { name: consumerID, value: "{uuid}" }
                        - { name: cleanSession, value: "true" }
                    scopes: [{{appId}}]
                    """,
            }, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);
        await using var device = new MqttConnection(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = $"bulb-{Guid.NewGuid():N}", CleanSession = true, Subscriptions = [$"{prefix}/+/cmd"],
        }, NullLogger.Instance);
        await device.ConnectAsync(Timeout, ct);
        await device.Subscribed.WaitAsync(Timeout, ct);

        await device.PublishAsync($"{prefix}/b7/state", "{\"on\":true,\"seq\":3}"u8.ToArray(), 1, false, ct);

        // Every replica has its own client id ({uuid}), so MQTT gives each of them every message.
        foreach (var app in new[] { first, second })
        {
            await Poll.UntilAsync(() => app.To("/bulb-mqtt").Any(r => r.Method == "POST"), "the state message at each replica", Timeout);
            var delivery = app.To("/bulb-mqtt").Single(r => r.Method == "POST");
            Assert.Equal(($"{prefix}/b7/state", "application/json", "{\"on\":true,\"seq\":3}"),
                (delivery.Headers["topic"], delivery.Headers["content-type"], delivery.Body));
            Assert.Single(app.To("/bulb-mqtt"), r => r.Method == "OPTIONS");
        }

        using var command = await runtime.Client.PostAsync($"{runtime.Url(appId, 1)}/v1.0/bindings/bulb-mqtt", new StringContent(
            $$"""{"data":{"cmd":"set","on":false},"metadata":{"topic":"{{prefix}}/b7/cmd"},"operation":"create"}""",
            Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.NoContent, command.StatusCode);
        var sent = await device.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);
        Assert.Equal(($"{prefix}/b7/cmd", "{\"cmd\":\"set\",\"on\":false}"), (sent.Topic, Encoding.UTF8.GetString(sent.Payload)));

        var metadata = JsonNode.Parse(await runtime.Client.GetStringAsync($"{runtime.Url(appId)}/v1.0/metadata", ct))!;
        var binding = metadata["components"]!.AsArray().Single(c => (string)c!["name"]! == "bulb-mqtt")!;
        Assert.Equal(["INPUT_BINDING", "OUTPUT_BINDING"], binding["capabilities"]!.AsArray().Select(x => (string)x!));
    }
}
