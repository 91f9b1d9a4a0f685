using System.Net;
using System.Text;
using DaprIoT.Dapr.Bindings;

namespace DaprIoT.Dapr.Tests;

public sealed class InputBindingTests
{
    [Fact]
    public async Task The_options_probe_answers_200_so_daprd_starts_the_binding()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await TestHost.StartAsync(_ => { }, app => app.MapInputBinding("mqtt-in", (_, _) => Task.CompletedTask));

        var response = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/mqtt-in"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_delivery_hands_the_raw_body_and_header_metadata_with_the_mqtt_topic_to_the_handler()
    {
        var ct = TestContext.Current.CancellationToken;
        BindingEvent? received = null;
        await using var host = await TestHost.StartAsync(_ => { }, app => app.MapInputBinding("mqtt-in", (bindingEvent, _) =>
        {
            received = bindingEvent;
            return Task.CompletedTask;
        }));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mqtt-in") { Content = new StringContent("21.5", Encoding.UTF8, "application/json") };
        request.Headers.Add("topic", "dapriot/bulb/42/state");
        request.Headers.Add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");

        var response = await host.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("21.5", received!.DataAsString());
        Assert.Equal(21.5, received.DataAs<double>());
        Assert.Equal("dapriot/bulb/42/state", received.Topic);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", received.TraceParent);
        Assert.False(received.Metadata.ContainsKey("content-type"));
    }

    [Fact]
    public async Task A_failing_handler_answers_500_so_the_component_sees_a_failure()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await TestHost.StartAsync(_ => { }, app => app.MapInputBinding("in", (_, _) => throw new InvalidOperationException("no")));

        var response = await host.Client.PostAsync("/in", new StringContent("{}"), ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task A_custom_route_replaces_the_binding_name_as_path()
    {
        var ct = TestContext.Current.CancellationToken;
        string? name = null;
        await using var host = await TestHost.StartAsync(_ => { }, app => app.MapInputBinding("mqtt-in", (bindingEvent, _) =>
        {
            name = bindingEvent.BindingName;
            return Task.CompletedTask;
        }, route: "/devices/in"));

        var response = await host.Client.PostAsync("/devices/in", new StringContent("{}"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("mqtt-in", name);
    }
}
