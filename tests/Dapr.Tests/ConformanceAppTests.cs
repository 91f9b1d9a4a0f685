using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DaprIoT.ConformanceApp;
using DaprIoT.Dapr.CloudEvents;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DaprIoT.Dapr.Tests;

/// <summary>The conformance test app in process, so its own behaviour is known good before the runtime's suite relies on it.</summary>
public sealed class ConformanceAppTests : IAsyncLifetime
{
    private FakeSidecar _sidecar = null!;
    private WebApplicationFactory<ProbeRegistry> _factory = null!;
    private HttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _sidecar = await FakeSidecar.StartAsync();
        _factory = new WebApplicationFactory<ProbeRegistry>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("APP_PORT", "5999");
            builder.UseSetting("APP_ID", "conformance");
            builder.UseSetting("INSTANCE_ID", "conformance-0");
            builder.UseSetting("DAPR_HTTP_PORT", _sidecar.Port.ToString());
            builder.UseSetting("SUBSCRIPTIONS", "pubsub:orders:orders-dead;pubsub:orders-dead;pubsub:raw-in::raw");
            builder.UseSetting("SUBSCRIPTION_RULES", """[{"pubsubname":"pubsub","topic":"orders","match":"event.type == \"alarm\"","path":"/alarms"}]""");
            builder.UseSetting("BINDINGS", "mqtt-in");
            builder.UseSetting("ACTORS", "true");
            builder.UseSetting("ACTOR_IDLE_TIMEOUT_SECONDS", "5");
        });
        _client = _factory.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _factory.DisposeAsync();
        await _sidecar.DisposeAsync();
    }

    private Task<HttpResponseMessage> DeliverAsync(int subscription, string id, string dataJson) =>
        _client.PostAsync($"/subscriptions/{subscription}", new StringContent(
            $$"""{"id":"{{id}}","specversion":"1.0","source":"publisher","type":"com.dapr.event.sent","datacontenttype":"application/json","topic":"orders","pubsubname":"pubsub","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","data":{{dataJson}}}""",
            Encoding.UTF8, CloudEventParser.CloudEventContentType), Ct);

    [Fact]
    public async Task Subscriptions_come_from_the_environment_with_dead_letter_topics_and_raw_payload()
    {
        var subscriptions = await _client.GetFromJsonAsync<JsonElement>("/dapr/subscribe", Ct);

        Assert.Equal(3, subscriptions.GetArrayLength());
        Assert.Equal("orders-dead", subscriptions[0].GetProperty("deadLetterTopic").GetString());
        Assert.Equal("/subscriptions/1", subscriptions[1].GetProperty("routes").GetProperty("default").GetString());
        Assert.Equal("true", subscriptions[2].GetProperty("metadata").GetProperty("rawPayload").GetString());
        Assert.False(subscriptions[2].TryGetProperty("deadLetterTopic", out _));
        var rule = subscriptions[0].GetProperty("routes").GetProperty("rules")[0];
        Assert.Equal(("event.type == \"alarm\"", "/alarms"), (rule.GetProperty("match").GetString(), rule.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task A_delivery_on_a_rule_path_is_recorded_with_that_route()
    {
        var id = Guid.NewGuid().ToString("N");

        await _client.PostAsync("/alarms", new StringContent($$"""{"data":{},"id":"{{id}}","specversion":"1.0","type":"alarm","topic":"orders"}""",
            Encoding.UTF8, CloudEventParser.CloudEventContentType), Ct);

        var deliveries = await _client.GetFromJsonAsync<JsonElement>("/deliveries?topic=orders", Ct);
        Assert.Equal("/alarms", deliveries.EnumerateArray().Single(d => d.GetProperty("id").GetString() == id).GetProperty("route").GetString());
    }

    [Fact]
    public async Task Retry_times_answers_retry_that_many_times_then_success_and_counts_deliveries()
    {
        var id = Guid.NewGuid().ToString("N");
        var statuses = new List<string?>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var response = await DeliverAsync(0, id, """{"outcome":"retry","retryTimes":2}""");
            statuses.Add((await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        }

        var deliveries = await _client.GetFromJsonAsync<JsonElement>("/deliveries?topic=orders", Ct);
        var mine = deliveries.EnumerateArray().Where(d => d.GetProperty("id").GetString() == id).ToList();
        Assert.Equal(["RETRY", "RETRY", "SUCCESS"], statuses);
        Assert.Equal([1, 2, 3], mine.Select(d => d.GetProperty("deliveryCount").GetInt32()));
        Assert.Equal(("pubsub", "com.dapr.event.sent", "publisher", "conformance-0"), (mine[0].GetProperty("pubsubname").GetString(),
            mine[0].GetProperty("type").GetString(), mine[0].GetProperty("source").GetString(), mine[0].GetProperty("instance").GetString()));
        Assert.Equal("retry", mine[0].GetProperty("data").GetProperty("outcome").GetString());
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c", mine[0].GetProperty("traceparent").GetString());
    }

    [Theory]
    [InlineData("drop", HttpStatusCode.OK, "DROP")]
    [InlineData("404", HttpStatusCode.NotFound, null)]
    [InlineData("500", HttpStatusCode.InternalServerError, null)]
    [InlineData("success", HttpStatusCode.OK, "SUCCESS")]
    public async Task The_outcome_in_the_data_chooses_the_answer(string outcome, HttpStatusCode status, string? daprStatus)
    {
        var response = await DeliverAsync(0, Guid.NewGuid().ToString("N"), $$"""{"outcome":"{{outcome}}"}""");

        Assert.Equal(status, response.StatusCode);
        if (daprStatus is not null)
        {
            Assert.Equal(daprStatus, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Garbage_2xx_answers_200_with_a_body_that_is_not_json()
    {
        var response = await DeliverAsync(0, Guid.NewGuid().ToString("N"), """{"outcome":"garbage-2xx"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("this is not json", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Raw_deliveries_are_recorded_with_their_decoded_json_data_and_counted_by_key()
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"key":"k-raw","temp":21.5}"""));
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await _client.PostAsync("/subscriptions/2", new StringContent(
                $$"""{"id":"{{Guid.NewGuid()}}","specversion":"1.0","datacontenttype":"application/octet-stream","topic":"raw-in","pubsubname":"pubsub","data_base64":"{{payload}}"}""",
                Encoding.UTF8, CloudEventParser.CloudEventContentType), Ct);
        }

        var deliveries = await _client.GetFromJsonAsync<JsonElement>("/deliveries?topic=raw-in", Ct);

        Assert.Equal([1, 2], deliveries.EnumerateArray().Select(d => d.GetProperty("deliveryCount").GetInt32()));
        Assert.Equal(21.5, deliveries[0].GetProperty("data").GetProperty("temp").GetDouble());
        Assert.Equal(payload, deliveries[0].GetProperty("dataBase64").GetString());
    }

    [Fact]
    public async Task Binding_events_are_recorded_with_their_topic_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mqtt-in") { Content = new StringContent("""{"on":true}""", Encoding.UTF8, "application/json") };
        request.Headers.Add("topic", "dapriot/bulb/1/state");

        var probe = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/mqtt-in"), Ct);
        var response = await _client.SendAsync(request, Ct);
        var events = await _client.GetFromJsonAsync<JsonElement>("/binding-events?name=mqtt-in", Ct);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (probe.StatusCode, response.StatusCode));
        Assert.Equal("dapriot/bulb/1/state", events[0].GetProperty("metadata").GetProperty("topic").GetString());
        Assert.Equal("""{"on":true}""", events[0].GetProperty("body").GetString());
    }

    [Theory]
    [InlineData("/echo")]
    [InlineData("/echo/deep/path")]
    public async Task Echo_answers_any_verb_on_its_own_path_and_below(string path)
    {
        var response = await _client.DeleteAsync(path, Ct);

        var echo = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("DELETE", path), (echo.GetProperty("method").GetString(), echo.GetProperty("path").GetString()));
    }

    [Fact]
    public async Task Echo_returns_the_request_it_received()
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, "/echo/a/b?x=1") { Content = new StringContent("hello") };
        request.Headers.Add("x-probe", "p1");

        var echo = await (await _client.SendAsync(request, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(("PATCH", "/echo/a/b", "?x=1", "hello", "p1"), (echo.GetProperty("method").GetString(), echo.GetProperty("path").GetString(),
            echo.GetProperty("query").GetString(), echo.GetProperty("body").GetString(), echo.GetProperty("headers").GetProperty("x-probe").GetString()));
    }

    [Fact]
    public async Task Status_answers_the_asked_status_with_problem_details()
    {
        var response = await _client.PostAsync("/status/418", null, Ct);

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_probe_actor_counts_in_persisted_state_and_counts_its_activations()
    {
        var id = Guid.NewGuid().ToString("N");

        await _client.PutAsync($"/actors/Probe/{id}/method/Count", null, Ct);
        var second = await _client.PutAsync($"/actors/Probe/{id}/method/Count", null, Ct);
        var activations = await _client.PutAsync($"/actors/Probe/{id}/method/GetActivations", null, Ct);
        var listed = await _client.GetFromJsonAsync<JsonElement>("/activations", Ct);
        var config = await _client.GetFromJsonAsync<JsonElement>("/dapr/config", Ct);

        Assert.Equal("2", await second.Content.ReadAsStringAsync(Ct));
        Assert.Equal("2", _sidecar.ActorState[$"Probe/{id}/counter"]);
        Assert.Equal("1", await activations.Content.ReadAsStringAsync(Ct));
        Assert.Equal(1, listed.GetProperty("activations").GetProperty(id).GetInt32());
        Assert.Equal("5s", config.GetProperty("actorIdleTimeout").GetString());
    }

    [Fact]
    public async Task Enter_fails_loudly_when_a_second_call_overlaps_because_the_app_leaves_turns_to_the_sidecar()
    {
        var id = Guid.NewGuid().ToString("N");
        var first = _client.PutAsync($"/actors/Probe/{id}/method/Enter", new StringContent("""{"delayMs":1000,"label":"first"}""", Encoding.UTF8, "application/json"), Ct);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!(await CallOrderAsync(id)).Contains("first"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the first Enter never started");
            await Task.Delay(20, Ct);
        }

        var overlapping = await _client.PutAsync($"/actors/Probe/{id}/method/Enter", new StringContent("""{"delayMs":0,"label":"second"}""", Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, overlapping.StatusCode);
        Assert.Contains("Concurrent entry", await overlapping.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, (await first).StatusCode);
        Assert.Equal(["first", "second"], await CallOrderAsync(id));
    }

    private async Task<List<string>> CallOrderAsync(string id) =>
        (await (await _client.PutAsync($"/actors/Probe/{id}/method/GetCallOrder", null, Ct)).Content.ReadFromJsonAsync<List<string>>(Ct))!;

    [Fact]
    public async Task A_reminder_callback_is_appended_to_the_persisted_firings()
    {
        var id = Guid.NewGuid().ToString("N");

        await _client.PutAsync($"/actors/Probe/{id}/method/ScheduleReminder", new StringContent("""{"name":"r1","dueTimeMs":100,"periodMs":1000}""", Encoding.UTF8, "application/json"), Ct);
        await _client.PutAsync($"/actors/Probe/{id}/method/remind/r1", new StringContent("""{"data":{"name":"r1"},"dueTime":"","period":""}""", Encoding.UTF8, "application/json"), Ct);
        await _client.PutAsync($"/actors/Probe/{id}/method/timer/t1", new StringContent("""{"callback":"OnTimer","data":{"name":"t1"}}""", Encoding.UTF8, "application/json"), Ct);
        var reminders = await (await _client.PutAsync($"/actors/Probe/{id}/method/GetReminderFirings", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var timers = await (await _client.PutAsync($"/actors/Probe/{id}/method/GetTimerFirings", null, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);

        var registration = _sidecar.Single(r => r.Path == $"/v1.0/actors/Probe/{id}/reminders/r1").Json;
        Assert.Equal(("100ms", "1s"), (registration.GetProperty("dueTime").GetString(), registration.GetProperty("period").GetString()));
        Assert.Equal("r1", reminders[0].GetProperty("name").GetString());
        Assert.Equal("t1", timers[0].GetProperty("name").GetString());
    }
}
