using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DaprIoT.Dapr.Client;
using DaprIoT.Dapr.CloudEvents;
using DaprIoT.Dapr.PubSub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Tests;

public sealed class TopicHandlerTests
{
    private static StringContent CloudEventBody(string json) => new(json, Encoding.UTF8, CloudEventParser.CloudEventContentType);

    private static Task<TestHost> StartAsync(Action<WebApplication> map) => TestHost.StartAsync(_ => { }, map);

    [Fact]
    public async Task Dapr_subscribe_lists_every_declared_handler_in_the_v2_routes_form()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(app =>
        {
            var options = new TopicHandlerOptions { DeadLetterTopic = "orders-dead" };
            options.Rules.Add(new TopicRule("event.type == \"alarm\"", "alarms", (_, _) => Task.FromResult(TopicResponse.Success)));
            app.MapTopicHandler("pubsub", "orders", "/orders", (_, _) => Task.FromResult(TopicResponse.Success), options);
            app.MapTopicHandler("pubsub", "raw-in", "raw", (_, _) => Task.FromResult(TopicResponse.Success), new TopicHandlerOptions { RawPayload = true });
        });

        var json = await host.Client.GetStringAsync("/dapr/subscribe", ct);

        using var document = JsonDocument.Parse(json);
        var all = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, all.Count);
        Assert.Equal(
            """{"pubsubname":"pubsub","topic":"orders","route":"/orders","routes":{"rules":[{"match":"event.type == \"alarm\"","path":"/alarms"}],"default":"/orders"},"deadLetterTopic":"orders-dead"}""",
            all[0].GetRawText());
        Assert.Equal(
            """{"pubsubname":"pubsub","topic":"raw-in","route":"/raw","routes":{"default":"/raw"},"metadata":{"rawPayload":"true"}}""",
            all[1].GetRawText());
    }

    [Theory]
    [InlineData("success", "SUCCESS")]
    [InlineData("retry", "RETRY")]
    [InlineData("drop", "DROP")]
    public async Task The_handler_outcome_becomes_the_status_daprd_reads_with_200(string outcome, string expected)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(app => app.MapTopicHandler("pubsub", "t", "/t", (cloudEvent, _) =>
            Task.FromResult(cloudEvent.DataAs<string>() switch
            {
                "retry" => TopicResponse.Retry,
                "drop" => TopicResponse.Drop,
                _ => TopicResponse.Success,
            })));

        var response = await host.Client.PostAsync("/t", CloudEventBody($$"""{"id":"1","specversion":"1.0","datacontenttype":"text/plain","data":"{{outcome}}"}"""), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_throwing_handler_answers_500_so_daprd_retries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(app => app.MapTopicHandler("pubsub", "t", "/t",
            (_, _) => throw new InvalidOperationException("broken")));

        var response = await host.Client.PostAsync("/t", CloudEventBody("""{"id":"e1","specversion":"1.0","data":{}}"""), ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("e1", await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task A_delivery_that_is_not_a_readable_cloudevent_answers_400_with_the_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        var called = false;
        await using var host = await StartAsync(app => app.MapTopicHandler("pubsub", "t", "/t", (_, _) =>
        {
            called = true;
            return Task.FromResult(TopicResponse.Success);
        }));

        var response = await host.Client.PostAsync("/t", CloudEventBody("{{{"), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(called);
    }

    [Fact]
    public async Task A_handler_can_answer_any_http_response_for_daprd_to_interpret()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(app => app.MapTopicHandler("pubsub", "t", "/t",
            (_, _) => Task.FromResult(TopicResponse.Http(Results.NotFound()))));

        var response = await host.Client.PostAsync("/t", CloudEventBody("""{"id":"1","specversion":"1.0"}"""), ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_handler_gets_the_event_with_topic_and_pubsub_filled_in_from_the_subscription_when_the_envelope_lacks_them()
    {
        var ct = TestContext.Current.CancellationToken;
        CloudEvent? received = null;
        await using var host = await StartAsync(app => app.MapTopicHandler("pubsub", "orders", "/orders", (cloudEvent, _) =>
        {
            received = cloudEvent;
            return Task.FromResult(TopicResponse.Success);
        }));

        await host.Client.PostAsync("/orders", CloudEventBody("""{"id":"x","specversion":"1.0","data":{"a":1}}"""), ct);

        Assert.Equal(("x", "orders", "pubsub"), (received!.Id, received.Topic, received.PubSubName));
    }

    [Fact]
    public async Task A_handler_that_calls_the_sidecar_continues_the_trace_of_the_delivery()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sidecar = await FakeSidecar.StartAsync();
        await using var host = await TestHost.StartAsync(builder => builder.Services.AddDaprSidecarClient(), app =>
            app.MapTopicHandler("pubsub", "in", "/in", async (cloudEvent, context) =>
            {
                await context.RequestServices.GetRequiredService<DaprSidecarClient>().PublishEventAsync("pubsub", "out", new { forwarded = cloudEvent.Id }, cancellationToken: context.RequestAborted);
                return TopicResponse.Success;
            }), new Dictionary<string, string?> { ["DAPR_HTTP_PORT"] = sidecar.Port.ToString() });
        using var delivery = new HttpRequestMessage(HttpMethod.Post, "/in") { Content = CloudEventBody("""{"id":"t1","specversion":"1.0","data":{}}""") };
        delivery.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        var response = await host.Client.SendAsync(delivery, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("4bf92f3577b34da6a3ce929d0e0e4736", sidecar.Single(r => r.Path == "/v1.0/publish/pubsub/out").Headers["traceparent"]);
    }

    [Fact]
    public async Task A_rule_path_is_served_by_the_rule_handler()
    {
        var ct = TestContext.Current.CancellationToken;
        var hits = new List<string>();
        await using var host = await StartAsync(app =>
        {
            var options = new TopicHandlerOptions();
            options.Rules.Add(new TopicRule("event.type == \"alarm\"", "/alarms", (_, _) =>
            {
                hits.Add("alarm");
                return Task.FromResult(TopicResponse.Success);
            }));
            app.MapTopicHandler("pubsub", "telemetry", "/telemetry", (_, _) =>
            {
                hits.Add("default");
                return Task.FromResult(TopicResponse.Success);
            }, options);
        });

        await host.Client.PostAsync("/alarms", CloudEventBody("""{"id":"1","specversion":"1.0","type":"alarm"}"""), ct);

        Assert.Equal(["alarm"], hits);
    }

    [Fact]
    public async Task Declaring_a_second_handler_for_the_same_topic_fails_at_startup_and_says_what_to_do()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(app =>
        {
            app.MapTopicHandler("pubsub", "orders", "/a", (_, _) => Task.FromResult(TopicResponse.Success));
            app.MapTopicHandler("pubsub", "orders", "/b", (_, _) => Task.FromResult(TopicResponse.Success));
        }));

        Assert.Contains("Rules", error.Message);
    }
}
