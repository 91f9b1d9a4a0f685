using DaprIoT.LocalRuntime.Hosting;
using System.Net;
using System.Text;
using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Bindings;

/// <summary>bindings.mqtt3 through the real dapr-local process against the shared Mosquitto, with device-side MQTT clients.</summary>
public sealed class MqttBindingConformanceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_wildcard_input_binding_delivers_each_matching_message_with_its_topic_and_the_output_binding_publishes_json_encoded_data()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"conformance/{Guid.NewGuid():N}";
        var appPort = FreePorts.Next();
        await using var dapr = await LocalRuntimeHarness.StartAsync(
            [ConformanceAppProcess.Entry("devices", appPort, new Dictionary<string, string> { ["BINDINGS"] = "mqtt-in" })],
            new Dictionary<string, string>
            {
                ["mqtt-in.yaml"] = Component("mqtt-in", $"{prefix}/+/state", extra: "    - name: cleanSession\n      value: \"true\"\n"),
                ["mqtt-out.yaml"] = Component("mqtt-out", $"{prefix}/out/default", extra: "    - name: direction\n      value: \"output\"\n"),
            },
            ct);
        var app = new ConformanceAppClient(dapr.Client, appPort);

        // The broker subscription completes asynchronously: a device message sent before it would be lost.
        await Eventually.UntilAsync(async token =>
            {
                var seen = await app.BindingEventsAsync("mqtt-in", token);
                if (seen.Count == 0) await MosquittoPublisher.PublishAsync($"{prefix}/warm-up/state", "{}", token);
                return seen;
            },
            seen => seen.Count > 0, "the input binding is subscribed", seen => $"{seen.Count} events", Patience, ct);

        await MosquittoPublisher.PublishAsync($"{prefix}/lamp-1/other", "\"not for the binding\"", ct);
        await MosquittoPublisher.PublishAsync($"{prefix}/lamp-1/state", """{"on":true,"level":70}""", ct);
        await MosquittoPublisher.PublishAsync($"{prefix}/cooker-7/state", "21.5", ct);

        var events = await Eventually.UntilAsync(token => app.BindingEventsAsync("mqtt-in", token),
            seen => seen.Any(e => e.Metadata.GetValueOrDefault("topic") == $"{prefix}/lamp-1/state")
                && seen.Any(e => e.Metadata.GetValueOrDefault("topic") == $"{prefix}/cooker-7/state"),
            "both device messages arrived", seen => string.Join(", ", seen.Select(e => $"{e.Metadata.GetValueOrDefault("topic")}={e.Body}")), Patience, ct);

        var lamp = Assert.Single(events, e => e.Metadata.GetValueOrDefault("topic") == $"{prefix}/lamp-1/state");
        Assert.Equal("""{"on":true,"level":70}""", lamp.Body);
        var cooker = Assert.Single(events, e => e.Metadata.GetValueOrDefault("topic") == $"{prefix}/cooker-7/state");
        Assert.Equal("21.5", cooker.Body);
        Assert.DoesNotContain(events, e => e.Metadata.GetValueOrDefault("topic") == $"{prefix}/lamp-1/other");

        await using var device = await MosquittoSubscriber.StartAsync($"{prefix}/out/#", count: 3, Patience, ct);
        await InvokeOutputAsync(dapr, $$$"""{"operation":"create","data":"21.5","metadata":{"topic":"{{{prefix}}}/out/cooker-7"}}""", ct);
        await InvokeOutputAsync(dapr, $$$"""{"operation":"create","data":{"on":false,"level":1.0,"note":"a<b"},"metadata":{"topic":"{{{prefix}}}/out/lamp-1"}}""", ct);
        await InvokeOutputAsync(dapr, """{"operation":"create","data":42}""", ct);
        var published = await device.MessagesAsync(ct);

        // daprd re-encodes data with Go's encoding/json: a string keeps its quotes, object keys are sorted,
        // numbers are float64 (1.0 becomes 1) and '<' is escaped.
        Assert.Equal(
            new Dictionary<string, string>
            {
                [$"{prefix}/out/cooker-7"] = "\"21.5\"",
                [$"{prefix}/out/lamp-1"] = """{"level":1,"note":"a\u003cb","on":false}""",
                [$"{prefix}/out/default"] = "42",
            },
            published.ToDictionary(m => m.Topic, m => m.Payload));
    }

    private static async Task InvokeOutputAsync(LocalRuntimeHarness dapr, string requestJson, CancellationToken ct)
    {
        using var response = await dapr.Client.PostAsync($"{dapr.SidecarUrl("devices")}/v1.0/bindings/mqtt-out",
            new StringContent(requestJson, Encoding.UTF8, "application/json"), ct);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent,
            $"the output binding answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }

    private static string Component(string name, string topic, string extra) => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: bindings.mqtt3
          version: v1
          metadata:
            - name: url
              value: "{SharedMosquitto.Url}"
            - name: topic
              value: "{topic}"
            - name: consumerID
              value: "{name}-{Guid.NewGuid():N}"

        """ + extra;
}
