using System.Text;
using System.Text.Json;
using DaprIoT.Dapr.CloudEvents;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.Dapr.Tests;

public sealed class CloudEventParserTests
{
    private sealed record Order(int OrderId);

    private static CloudEvent Parse(string body, string? contentType = CloudEventParser.CloudEventContentType, IHeaderDictionary? headers = null) =>
        CloudEventParser.Parse(Encoding.UTF8.GetBytes(body), contentType, headers);

    [Fact]
    public void An_application_json_event_exposes_every_envelope_field_and_its_structured_data()
    {
        var cloudEvent = Parse("""
            {"id":"5929","specversion":"1.0","source":"checkout","type":"com.dapr.event.sent","datacontenttype":"application/json",
             "topic":"orders","pubsubname":"pubsub","traceid":"00-aa-bb-01","traceparent":"00-aa-bb-01","tracestate":"k=v",
             "time":"2024-09-23T06:23:21Z","subject":"s1","expiration":"2030-01-01T00:00:00Z","data":{"orderId":1},"ext":"x"}
            """);

        Assert.True(cloudEvent.IsCloudEvent);
        Assert.Equal(("5929", "checkout", "com.dapr.event.sent", "1.0", "application/json"),
            (cloudEvent.Id, cloudEvent.Source, cloudEvent.Type, cloudEvent.SpecVersion, cloudEvent.DataContentType));
        Assert.Equal(("orders", "pubsub", "00-aa-bb-01", "k=v", "00-aa-bb-01"),
            (cloudEvent.Topic, cloudEvent.PubSubName, cloudEvent.TraceParent, cloudEvent.TraceState, cloudEvent.TraceId));
        Assert.Equal(("2024-09-23T06:23:21Z", "s1", "2030-01-01T00:00:00Z"), (cloudEvent.Time, cloudEvent.Subject, cloudEvent.Expiration));
        Assert.Equal(JsonValueKind.Object, cloudEvent.Data!.Value.ValueKind);
        Assert.Equal(1, cloudEvent.DataAs<Order>()!.OrderId);
        Assert.Equal("""{"orderId":1}""", cloudEvent.DataAsString());
        Assert.Equal("x", cloudEvent.Envelope!.Value.GetProperty("ext").GetString());
    }

    [Fact]
    public void Text_plain_data_stays_a_string_even_when_it_looks_like_json()
    {
        var cloudEvent = Parse("""{"id":"1","specversion":"1.0","datacontenttype":"text/plain","data":"42"}""");

        Assert.Equal("42", cloudEvent.DataAs<string>());
        Assert.Equal(JsonValueKind.String, cloudEvent.DataAsJson()!.Value.ValueKind);
        Assert.False(cloudEvent.IsBase64Data);
    }

    [Fact]
    public void A_vendor_json_type_arrives_as_a_string_and_is_still_readable_as_its_object()
    {
        var cloudEvent = Parse("""{"id":"1","specversion":"1.0","datacontenttype":"application/vnd.acme+json","data":"{\"orderId\":7}"}""");

        Assert.Equal(JsonValueKind.String, cloudEvent.Data!.Value.ValueKind);
        Assert.Equal(7, cloudEvent.DataAs<Order>()!.OrderId);
        Assert.Equal(JsonValueKind.Object, cloudEvent.DataAsJson()!.Value.ValueKind);
    }

    [Fact]
    public void Invalid_json_published_as_application_json_is_kept_as_the_string_daprd_embedded()
    {
        var cloudEvent = Parse("""{"id":"1","specversion":"1.0","datacontenttype":"application/json","data":"not json {"}""");

        Assert.Equal("not json {", cloudEvent.DataAs<string>());
        Assert.Equal("not json {", cloudEvent.DataAsJson()!.Value.GetString());
        Assert.Throws<JsonException>(() => cloudEvent.DataAs<Order>());
    }

    [Fact]
    public void A_raw_payload_delivery_decodes_data_base64_into_bytes_and_reads_json_inside()
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"orderId":3}"""));
        var cloudEvent = Parse($$"""
            {"id":"r1","specversion":"1.0","datacontenttype":"application/octet-stream","source":"Dapr","type":"com.dapr.event.sent",
             "topic":"raw","pubsubname":"pubsub","data_base64":"{{payload}}"}
            """);

        Assert.True(cloudEvent.IsBase64Data);
        Assert.Null(cloudEvent.Data);
        Assert.Equal("""{"orderId":3}""", cloudEvent.DataAsString());
        Assert.Equal(3, cloudEvent.DataAs<Order>()!.OrderId);
    }

    [Fact]
    public void Binary_bytes_in_data_base64_are_not_json_and_say_so()
    {
        var cloudEvent = Parse($$"""{"id":"b","specversion":"1.0","data_base64":"{{Convert.ToBase64String([0xff, 0x00, 0x10])}}"}""");

        Assert.Equal(new byte[] { 0xff, 0x00, 0x10 }, cloudEvent.DataAs<byte[]>());
        Assert.Null(cloudEvent.DataAsJson());
        Assert.Throws<JsonException>(() => cloudEvent.DataAs<Order>());
    }

    [Fact]
    public void A_body_that_is_not_a_cloudevent_is_the_data_with_topic_and_trace_from_headers()
    {
        var headers = new HeaderDictionary { ["pubsubname"] = "pubsub", ["topic"] = "plain", ["traceparent"] = "00-11-22-01" };

        var cloudEvent = Parse("""{"orderId":9}""", "application/json", headers);

        Assert.False(cloudEvent.IsCloudEvent);
        Assert.Null(cloudEvent.Id);
        Assert.Equal(("plain", "pubsub", "00-11-22-01", "application/json"),
            (cloudEvent.Topic, cloudEvent.PubSubName, cloudEvent.TraceParent, cloudEvent.DataContentType));
        Assert.Equal(9, cloudEvent.DataAs<Order>()!.OrderId);
    }

    [Fact]
    public void A_plain_text_body_is_kept_as_bytes()
    {
        var cloudEvent = Parse("hello", "text/plain");

        Assert.False(cloudEvent.IsCloudEvent);
        Assert.Equal("hello", cloudEvent.DataAsString());
        Assert.Null(cloudEvent.DataAsJson());
    }

    [Fact]
    public void An_empty_traceparent_in_the_envelope_falls_back_to_the_header()
    {
        var headers = new HeaderDictionary { ["traceparent"] = "00-from-header-01" };

        var cloudEvent = Parse("""{"id":"1","specversion":"1.0","traceparent":"","data":{}}""", headers: headers);

        Assert.Equal("00-from-header-01", cloudEvent.TraceParent);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1,2]")]
    public void A_body_declared_as_cloudevent_that_is_not_a_json_object_is_rejected_with_a_reason(string body)
    {
        var error = Assert.Throws<CloudEventFormatException>(() => Parse(body));

        Assert.Contains(CloudEventParser.CloudEventContentType, error.Message);
    }

    [Fact]
    public void Invalid_base64_is_rejected_with_the_event_id()
    {
        var error = Assert.Throws<CloudEventFormatException>(() => Parse("""{"id":"bad-b64","specversion":"1.0","data_base64":"***"}"""));

        Assert.Contains("bad-b64", error.Message);
    }

    [Fact]
    public void An_event_without_data_has_empty_bytes_and_no_json()
    {
        var cloudEvent = Parse("""{"id":"1","specversion":"1.0"}""");

        Assert.True(cloudEvent.DataBytes.IsEmpty);
        Assert.Null(cloudEvent.DataAsJson());
        Assert.Null(cloudEvent.DataAs<Order>());
    }
}
