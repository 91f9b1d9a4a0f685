using System.Diagnostics;
using System.Net;
using System.Text;
using DaprIoT.Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Tests;

public sealed class SidecarClientTests : IAsyncLifetime
{
    private FakeSidecar _sidecar = null!;
    private ServiceProvider _services = null!;

    private DaprSidecarClient Client => _services.GetRequiredService<DaprSidecarClient>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sidecar = await FakeSidecar.StartAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_PORT"] = _sidecar.Port.ToString(),
            ["DAPR_API_TOKEN"] = "app-to-sidecar",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddDaprSidecarClient();
        _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _sidecar.DisposeAsync();
    }

    [Fact]
    public async Task Every_request_carries_the_api_token_and_the_current_trace_context()
    {
        using var activity = new Activity("test").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "vendor=1";

        await Client.PublishEventAsync("pubsub", "orders", new { orderId = 1 }, cancellationToken: Ct);

        var request = _sidecar.Single(r => r.Path == "/v1.0/publish/pubsub/orders");
        Assert.Equal("app-to-sidecar", request.Headers["dapr-api-token"]);
        Assert.Contains(activity.TraceId.ToHexString(), request.Headers["traceparent"]);
        Assert.Equal("vendor=1", request.Headers["tracestate"]);
    }

    [Fact]
    public async Task Publishing_json_raw_and_cloudevents_uses_the_content_types_and_metadata_daprd_expects()
    {
        await Client.PublishEventAsync("pubsub", "devices/42/telemetry", new { t = 21.5 }, new Dictionary<string, string> { ["ttlInSeconds"] = "60" }, Ct);
        await Client.PublishRawAsync("pubsub", "raw", Encoding.UTF8.GetBytes("bytes"), cancellationToken: Ct);
        await Client.PublishCloudEventAsync("pubsub", "ce", new { id = "e1", specversion = "1.0", data = new { a = 1 } }, cancellationToken: Ct);

        var json = _sidecar.Single(r => r.Path == "/v1.0/publish/pubsub/devices/42/telemetry");
        Assert.Equal(("application/json", "?metadata.ttlInSeconds=60", """{"t":21.5}"""), (json.ContentType, json.Query, json.Body));
        var raw = _sidecar.Single(r => r.Path == "/v1.0/publish/pubsub/raw");
        Assert.Equal(("application/octet-stream", "?metadata.rawPayload=true", "bytes"), (raw.ContentType, raw.Query, raw.Body));
        var cloudEvent = _sidecar.Single(r => r.Path == "/v1.0/publish/pubsub/ce");
        Assert.Equal("application/cloudevents+json", cloudEvent.ContentType);
        Assert.Equal("e1", cloudEvent.Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_sidecar_error_becomes_a_dapr_api_exception_with_status_code_and_message()
    {
        _sidecar.Respond = _ => new FakeResponse(404, """{"errorCode":"ERR_PUBSUB_NOT_FOUND","message":"pubsub nope not found"}""");

        var error = await Assert.ThrowsAsync<DaprApiException>(() => Client.PublishEventAsync("nope", "t", 1, cancellationToken: Ct));

        Assert.Equal((HttpStatusCode.NotFound, "ERR_PUBSUB_NOT_FOUND"), (error.StatusCode, error.ErrorCode));
        Assert.Contains("pubsub nope not found", error.Message);
    }

    [Fact]
    public async Task Service_invocation_passes_the_targets_status_and_body_through()
    {
        _sidecar.Respond = r => new FakeResponse(418, """{"title":"teapot"}""", new Dictionary<string, string> { ["x-target"] = "yes" });

        using var response = await Client.InvokeMethodAsync(HttpMethod.Patch, "orders", "api/v1/items?x=1", new StringContent("hi"),
            [new("x-custom", "c1")], Ct);

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("yes", response.Headers.GetValues("x-target").Single());
        var request = _sidecar.Single(r => r.Path == "/v1.0/invoke/orders/method/api/v1/items");
        Assert.Equal(("PATCH", "?x=1", "hi", "c1"), (request.Method, request.Query, request.Body, request.Headers["x-custom"]));
    }

    [Fact]
    public async Task Typed_service_invocation_reads_json_and_throws_on_failure()
    {
        _sidecar.Respond = r => r.Path.EndsWith("/ok") ? new FakeResponse(200, """{"n":5}""") : new FakeResponse(500, "boom", ContentType: "text/plain");

        var result = await Client.InvokeMethodAsync<Dictionary<string, int>>(HttpMethod.Post, "calc", "ok", new { a = 1 }, Ct);
        var error = await Assert.ThrowsAsync<DaprApiException>(() => Client.InvokeMethodAsync<object>(HttpMethod.Get, "calc", "bad", cancellationToken: Ct));

        Assert.Equal(5, result!["n"]);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Contains("boom", error.Message);
    }

    [Fact]
    public async Task Output_bindings_send_data_metadata_and_operation_and_read_response_metadata_headers()
    {
        _sidecar.Respond = _ => new FakeResponse(200, """{"ok":true}""", new Dictionary<string, string> { ["metadata.messageId"] = "m1" });

        var response = await Client.InvokeBindingAsync("mqtt-out", "create", "21.5", new Dictionary<string, string> { ["topic"] = "dapriot/bulb/1/cmd" }, Ct);

        var request = _sidecar.Single(r => r.Path == "/v1.0/bindings/mqtt-out");
        Assert.Equal("""{"data":"21.5","metadata":{"topic":"dapriot/bulb/1/cmd"},"operation":"create"}""", request.Body);
        Assert.Equal("m1", response.Metadata["messageId"]);
        Assert.True(response.DataAs<Dictionary<string, bool>>()!["ok"]);
    }

    [Fact]
    public async Task Reading_state_returns_the_value_with_its_etag_and_a_missing_key_is_not_found()
    {
        _sidecar.Respond = r => r.Path.EndsWith("/k1")
            ? new FakeResponse(200, """{"fw":"1.2.3"}""", new Dictionary<string, string> { ["ETag"] = "7" })
            : new FakeResponse(204);

        var found = await Client.GetStateEntryAsync<Dictionary<string, string>>("store", "k1", StateConsistency.Strong, cancellationToken: Ct);
        var missing = await Client.GetStateEntryAsync<Dictionary<string, string>>("store", "k2", cancellationToken: Ct);

        Assert.Equal(("1.2.3", "7", true), (found.Value!["fw"], found.ETag, found.Found));
        Assert.False(missing.Found);
        Assert.Equal("?consistency=strong", _sidecar.Single(r => r.Path == "/v1.0/state/store/k1").Query);
    }

    [Fact]
    public async Task Saving_state_sends_etag_options_and_metadata_and_an_etag_conflict_is_recognisable()
    {
        _sidecar.Respond = _ => new FakeResponse(409, """{"errorCode":"ERR_STATE_SAVE","message":"possible etag mismatch"}""");

        var error = await Assert.ThrowsAsync<DaprApiException>(() => Client.SaveStateAsync("store", "k", new { v = 1 }, "3",
            new StateOptions(StateConcurrency.FirstWrite, StateConsistency.Strong), new Dictionary<string, string> { ["ttlInSeconds"] = "60" }, Ct));

        Assert.True(error.IsETagMismatch);
        Assert.Equal(
            """[{"key":"k","value":{"v":1},"etag":"3","metadata":{"ttlInSeconds":"60"},"options":{"concurrency":"first-write","consistency":"strong"}}]""",
            _sidecar.Single(r => r.Path == "/v1.0/state/store").Body);
    }

    [Fact]
    public async Task Bulk_get_reads_the_data_field_daprd_emits()
    {
        _sidecar.Respond = _ => new FakeResponse(200, """[{"key":"a","data":{"n":1},"etag":"1"},{"key":"b"}]""");

        var items = await Client.GetBulkStateAsync("store", ["a", "b"], parallelism: 2, cancellationToken: Ct);

        Assert.Equal(1, items[0].DataAs<Dictionary<string, int>>()!["n"]);
        Assert.False(items[1].Found);
        Assert.Equal("""{"keys":["a","b"],"parallelism":2}""", _sidecar.Single(r => r.Path == "/v1.0/state/store/bulk").Body);
    }

    [Fact]
    public async Task Delete_sends_the_etag_as_if_match_and_options_as_query()
    {
        await Client.DeleteStateAsync("store", "k", "5", new StateOptions(StateConcurrency.FirstWrite), cancellationToken: Ct);

        var request = _sidecar.Single(r => r.Method == "DELETE");
        Assert.Equal(("/v1.0/state/store/k", "?concurrency=first-write", "5"), (request.Path, request.Query, request.Headers["if-match"]));
    }

    [Fact]
    public async Task A_state_transaction_is_sent_as_operations_with_requests()
    {
        await Client.ExecuteStateTransactionAsync("store",
            [StateTransactionOperation.Upsert("k1", "v1", "3"), StateTransactionOperation.Delete("k2")], new Dictionary<string, string> { ["partitionKey"] = "p" }, Ct);

        Assert.Equal(
            """{"operations":[{"operation":"upsert","request":{"key":"k1","value":"v1","etag":"3"}},{"operation":"delete","request":{"key":"k2"}}],"metadata":{"partitionKey":"p"}}""",
            _sidecar.Single(r => r.Path == "/v1.0/state/store/transaction").Body);
    }

    [Fact]
    public async Task Actor_calls_state_and_reminder_reads_use_the_actor_api_paths()
    {
        _sidecar.Respond = r => r.Path.Contains("/reminders/") && r.Method == "GET"
            ? new FakeResponse(200, """{"actorID":"1","actorType":"Cooker","data":{"x":1},"dueTime":"","period":"@every 30s"}""")
            : r.Path.Contains("/method/") ? new FakeResponse(200, "42") : new FakeResponse(204);
        _sidecar.ActorState["Cooker/1/temp"] = "56.5";

        var result = await Client.InvokeActorMethodAsync<int>("Cooker", "1", "Count", new { by = 1 }, Ct);
        var state = await Client.GetActorStateAsync<double>("Cooker", "1", "temp", Ct);
        var missing = await Client.GetActorStateAsync<double>("Cooker", "1", "nothing", Ct);
        var reminder = await Client.GetActorReminderAsync("Cooker", "1", "off", Ct);
        await Client.UnregisterActorReminderAsync("Cooker", "1", "off", Ct);
        await Client.UnregisterActorTimerAsync("Cooker", "1", "tick", Ct);

        Assert.Equal(42, result);
        Assert.Equal((true, 56.5), (state.HasValue, state.Value));
        Assert.False(missing.HasValue);
        Assert.Equal(("Cooker", "1", "@every 30s"), (reminder!.ActorType, reminder.ActorId, reminder.Period));
        Assert.Equal("PUT", _sidecar.Single(r => r.Path == "/v1.0/actors/Cooker/1/method/Count").Method);
        Assert.Single(_sidecar.Requests, r => r.Method == "DELETE" && r.Path == "/v1.0/actors/Cooker/1/reminders/off");
        Assert.Single(_sidecar.Requests, r => r.Method == "DELETE" && r.Path == "/v1.0/actors/Cooker/1/timers/tick");
    }

    [Fact]
    public async Task Metadata_is_read_and_attributes_are_written_as_text()
    {
        _sidecar.Respond = r => r.Method == "GET"
            ? new FakeResponse(200, """{"id":"lightbulb","runtimeVersion":"1.15.0","actors":[{"type":"LightBulb","count":3}],"components":[{"name":"pubsub","type":"pubsub.redis","version":"v1","capabilities":[]}],"extended":{"appPID":"12"}}""")
            : new FakeResponse(204);

        var metadata = await Client.GetMetadataAsync(Ct);
        await Client.SetMetadataAsync("appCommand", "dotnet run", Ct);

        Assert.Equal(("lightbulb", 3, "pubsub.redis", "12"), (metadata.Id, metadata.Actors[0].Count, metadata.Components[0].Type, metadata.Extended["appPID"]));
        var put = _sidecar.Single(r => r.Method == "PUT");
        Assert.Equal(("/v1.0/metadata/appCommand", "dotnet run"), (put.Path, put.Body));
    }

    [Fact]
    public async Task Waiting_for_the_sidecar_polls_outbound_health_until_it_is_ready()
    {
        var calls = 0;
        _sidecar.Respond = r => r.Path == "/v1.0/healthz/outbound" && Interlocked.Increment(ref calls) >= 3 ? new FakeResponse(204) : new FakeResponse(500);

        await Client.WaitForSidecarAsync(TimeSpan.FromSeconds(5), Ct);

        Assert.All(_sidecar.Requests, r => Assert.Equal("/v1.0/healthz/outbound", r.Path));
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Waiting_for_a_sidecar_that_never_gets_ready_times_out_with_advice()
    {
        _sidecar.Respond = _ => new FakeResponse(500);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => Client.WaitForSidecarAsync(TimeSpan.FromMilliseconds(300), Ct));

        Assert.Contains("DAPR_HTTP_PORT", error.Message);
    }

    [Fact]
    public async Task Shutdown_posts_to_the_shutdown_api()
    {
        await Client.ShutdownAsync(force: true, Ct);

        Assert.Equal("true", _sidecar.Single(r => r.Path == "/v1.0/shutdown").Headers["dapr-force-shutdown"]);
    }

    [Fact]
    public void A_port_that_is_not_a_number_is_reported_by_name()
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["DAPR_HTTP_PORT"] = "abc" }).Build());
        services.AddDaprSidecarClient();
        using var provider = services.BuildServiceProvider();

        var error = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<DaprSidecarClient>());

        Assert.Contains("DAPR_HTTP_PORT", error.Message);
    }
}
