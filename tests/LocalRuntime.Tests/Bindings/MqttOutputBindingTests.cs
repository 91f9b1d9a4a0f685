using System.Net;
using System.Text;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary><c>POST|PUT /v1.0/bindings/{name}</c> against the shared mosquitto, checked by an independent subscriber.</summary>
public sealed class MqttOutputBindingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<MqttConnection> SubscriberAsync(CancellationToken ct, params string[] filters)
    {
        var client = new MqttConnection(new MqttConnectionOptions
        {
            Host = "127.0.0.1", Port = TestMqtt.SharedPort, Username = TestMqtt.Username, Password = TestMqtt.Password, ClientId = $"device-{Guid.NewGuid():N}", CleanSession = true, Subscriptions = filters,
        }, NullLogger.Instance);
        await client.ConnectAsync(Timeout, ct);
        await client.Subscribed.WaitAsync(Timeout, ct);
        return client;
    }

    private static async Task<MqttMessage> NextAsync(MqttConnection client, CancellationToken ct) =>
        await client.Messages.ReadAsync(ct).AsTask().WaitAsync(Timeout, ct);

    [Fact]
    public async Task Create_publishes_to_the_topic_in_the_request_metadata_instead_of_the_component_topic()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"dapriot-test/{Guid.NewGuid():N}";
        await using var sidecar = await BindingsSidecar.StartAsync(
            [BindingsSidecar.Mqtt("commands", $"{prefix}/default", ("direction", "output"))], null, ct);
        await using var device = await SubscriberAsync(ct, $"{prefix}/#");

        var response = await sidecar.InvokeAsync("commands",
            new { data = new { cmd = "toggle", id = 7 }, metadata = new { topic = $"{prefix}/bulb-9/cmd" }, operation = "create" }, ct);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        // Same producer connection, so the second message cannot overtake the first.
        await sidecar.InvokeAsync("commands", new { data = "next", operation = "create" }, ct);

        var first = await NextAsync(device, ct);
        Assert.Equal($"{prefix}/bulb-9/cmd", first.Topic);
        Assert.Equal("{\"cmd\":\"toggle\",\"id\":7}", Encoding.UTF8.GetString(first.Payload));
        Assert.Equal(1, first.Qos);
        var second = await NextAsync(device, ct);
        Assert.Equal($"{prefix}/default", second.Topic);
        Assert.Equal("\"next\"", Encoding.UTF8.GetString(second.Payload));
    }

    [Theory]
    [InlineData("{\"data\":\"21.5\",\"operation\":\"create\"}", "\"21.5\"")]
    [InlineData("{\"data\":21.50,\"operation\":\"create\"}", "21.5")]
    [InlineData("{\"data\":{\"z\":1,\"a\":\"<on & off>\",\"m\":[1.0,1e21,0.0000001]},\"operation\":\"create\"}",
        "{\"a\":\"\\u003con \\u0026 off\\u003e\",\"m\":[1,1e+21,1e-7],\"z\":1}")]
    [InlineData("{\"operation\":\"create\"}", "null")]
    [InlineData("{\"Data\":true,\"OPERATION\":\"create\"}", "true")]
    public async Task Data_reaches_the_broker_encoded_as_daprd_encodes_it(string body, string expectedPayload)
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/cmd";
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("commands", topic)], null, ct);
        await using var device = await SubscriberAsync(ct, topic);

        var response = await sidecar.Client.PutAsync("/v1.0/bindings/commands",
            new StringContent(body, Encoding.UTF8, "application/json"), ct);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(expectedPayload, Encoding.UTF8.GetString((await NextAsync(device, ct)).Payload));
    }

    [Fact]
    public async Task The_component_retain_flag_applies_and_a_per_request_retain_is_ignored_as_in_daprd()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"dapriot-test/{Guid.NewGuid():N}";
        await using var sidecar = await BindingsSidecar.StartAsync(
        [
            BindingsSidecar.Mqtt("retained", $"{prefix}/retained", ("retain", "true")),
            BindingsSidecar.Mqtt("plain", $"{prefix}/plain", ("qos", "0")),
        ], null, ct);
        Assert.Contains(sidecar.Log.Lines, l => l.Contains("Binding plain: metadata property 'qos' has been deprecated and is ignored"));
        await sidecar.InvokeAsync("retained", new { data = "kept", operation = "create" }, ct);
        await sidecar.InvokeAsync("plain", new { data = "gone", metadata = new { retain = "true" }, operation = "create" }, ct);

        // A subscriber arriving later sees only retained messages.
        await using var late = await SubscriberAsync(ct, $"{prefix}/#");
        var retained = await NextAsync(late, ct);
        Assert.Equal(($"{prefix}/retained", "\"kept\"", true), (retained.Topic, Encoding.UTF8.GetString(retained.Payload), retained.Retain));
        await sidecar.InvokeAsync("retained", new { data = "", operation = "create" }, ct);
        Assert.Equal("\"\"", Encoding.UTF8.GetString((await NextAsync(late, ct)).Payload));
        Assert.False(late.Messages.TryRead(out _));

        // JSON-encoded data is never empty, so the binding itself cannot clear a retained message: do it directly.
        await using var cleaner = await SubscriberAsync(ct);
        await cleaner.PublishAsync($"{prefix}/retained", ReadOnlyMemory<byte>.Empty, 1, true, ct);
    }

    [Fact]
    public async Task Requests_that_cannot_be_carried_out_get_daprds_status_codes_and_error_bodies()
    {
        var ct = TestContext.Current.CancellationToken;
        var topic = $"dapriot-test/{Guid.NewGuid():N}";
        var hidden = BindingsSidecar.Mqtt("other-apps-binding", topic) with { Scopes = ["some-other-app"] };
        await using var sidecar = await BindingsSidecar.StartAsync(
            [BindingsSidecar.Mqtt("commands", topic), BindingsSidecar.Mqtt("sensors", topic, ("direction", "input")), hidden], null, ct);

        async Task<(HttpStatusCode, string, string)> Send(string name, string body)
        {
            var response = await sidecar.Client.PostAsync($"/v1.0/bindings/{name}", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            var (code, message) = await BindingsSidecar.ReadErrorAsync(response, ct);
            return (response.StatusCode, code, message);
        }

        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING", "error invoking output binding nope: couldn't find output binding nope"),
            await Send("nope", "{\"operation\":\"create\"}"));
        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING", "error invoking output binding sensors: couldn't find output binding sensors"),
            await Send("sensors", "{\"operation\":\"create\"}"));
        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING", "error invoking output binding other-apps-binding: couldn't find output binding other-apps-binding"),
            await Send("other-apps-binding", "{\"operation\":\"create\"}"));
        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING", "error invoking output binding commands: operation field is missing from request"),
            await Send("commands", "{\"data\":1}"));
        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING",
                "error invoking output binding commands: binding commands does not support operation delete. supported operations:create"),
            await Send("commands", "{\"data\":1,\"operation\":\"delete\"}"));

        var (status, code, message) = await Send("commands", "{\"metadata\":{\"topic\":\"a/+/cmd\"},\"operation\":\"create\"}");
        Assert.Equal((HttpStatusCode.InternalServerError, "ERR_INVOKE_OUTPUT_BINDING"), (status, code));
        Assert.StartsWith("error invoking output binding commands: failed to publish: cannot publish to 'a/+/cmd'", message);

        (status, code, message) = await Send("commands", "{\"data\":");
        Assert.Equal((HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST"), (status, code));
        Assert.StartsWith("failed deserializing HTTP body: ", message);
        (status, code, _) = await Send("commands", "{\"metadata\":{\"topic\":5},\"operation\":\"create\"}");
        Assert.Equal((HttpStatusCode.BadRequest, "ERR_MALFORMED_REQUEST"), (status, code));
    }

    [Fact]
    public async Task Concurrent_requests_each_publish_exactly_once()
    {
        var ct = TestContext.Current.CancellationToken;
        const int count = 500;
        var topic = $"dapriot-test/{Guid.NewGuid():N}/cmd";
        await using var sidecar = await BindingsSidecar.StartAsync([BindingsSidecar.Mqtt("commands", topic, ("direction", "output"))], null, ct);
        await using var device = await SubscriberAsync(ct, topic);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await sidecar.InvokeAsync("commands", new { data = new { id = i }, operation = "create" }, ct);
            return response.StatusCode;
        }));
        clock.Stop();

        Assert.All(responses, status => Assert.Equal(HttpStatusCode.NoContent, status));
        var ids = new HashSet<string>();
        while (ids.Count < count) ids.Add(Encoding.UTF8.GetString((await NextAsync(device, ct)).Payload));
        Assert.False(device.Messages.TryRead(out _));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"output binding: {count} concurrent requests acknowledged in {clock.ElapsedMilliseconds} ms = {count / clock.Elapsed.TotalSeconds:0} req/s");
    }
}
