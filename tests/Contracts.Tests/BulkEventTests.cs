using System.Text;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;

namespace DaprIoT.Contracts.Tests;

/// <summary>
/// A bulk delivery's entries read into contracts: the CloudEvent's data as JSON or as JSON text, or the contract
/// published raw; an unreadable entry is null on its own and the entries after it still read.
/// </summary>
public sealed class BulkEventTests
{
    private const string Reading = """{"deviceId":"bulb-1","deviceType":"lightbulb","boot":2,"seq":7,"receivedAt":"2026-12-06T10:00:00+00:00","uptimeS":30,"powerMw":850}""";

    private static List<BulkEvent<TelemetryReading>> Read(string entries) =>
        JsonSerializer.Deserialize<List<BulkEvent<TelemetryReading>>>(entries, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    [Fact]
    public void The_data_of_a_cloud_event_is_read_as_json_or_as_json_text_and_a_raw_contract_as_itself()
    {
        var events = Read($$"""
            [
              {"id":"1","specversion":"1.0","datacontenttype":"application/json","data":{{Reading}},"topic":"telemetry"},
              {"id":"2","data":{{JsonSerializer.Serialize(Reading)}},"source":"lightbulb"},
              {{Reading}}
            ]
            """);

        Assert.Equal(3, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("bulb-1", e.Value!.DeviceId);
            Assert.Equal(7u, e.Value.Seq);
            Assert.Equal(850, e.Value.PowerMw);
        });
    }

    [Fact]
    public void An_unreadable_entry_is_null_on_its_own_and_the_entries_after_it_still_read()
    {
        var events = Read($$$"""
            [
              {"id":"bad-type","data":{"deviceId":"bulb-1","boot":"two","seq":[1,2]}},
              {"id":"bad-text","data":"not json {"},
              {"id":"number","data":42},
              {"id":"null","data":null},
              42,
              null,
              [ {{{Reading}}} ],
              {"id":"good","data":{{{Reading}}}}
            ]
            """);

        Assert.Equal(8, events.Count);
        Assert.All(events.Take(7), e => Assert.Null(e.Value));
        Assert.Equal("bulb-1", events[7].Value!.DeviceId);
    }

    private sealed record Delivery(string Id, List<DeliveryEntry> Entries);

    private sealed record DeliveryEntry(string EntryId, BulkEvent<TelemetryReading> Event, string ContentType);

    [Fact]
    public async Task A_request_read_as_a_stream_reads_every_entry_whatever_the_pieces_it_arrives_in()
    {
        // As ASP.NET Core reads a request body: asynchronously, so no piece is the final block until the body ended.
        var entries = string.Join(',', Enumerable.Range(0, 300).Select(i =>
            $$"""{"entryId":"e{{i}}","event":{"id":"{{i}}","specversion":"1.0","data":{{Reading}},"topic":"telemetry"},"contentType":"application/cloudevents+json"}"""));
        var body = Encoding.UTF8.GetBytes($$"""{"id":"bulk","entries":[{{entries}},{"entryId":"bad","event":{"data":7},"contentType":"x"}]}""");

        foreach (var piece in new[] { body.Length, 4096, 97 })
        {
            var delivery = await JsonSerializer.DeserializeAsync<Delivery>(new PiecewiseStream(body, piece), new JsonSerializerOptions(JsonSerializerDefaults.Web),
                TestContext.Current.CancellationToken);

            Assert.Equal(301, delivery!.Entries.Count);
            Assert.All(delivery.Entries.Take(300), entry => Assert.Equal("bulb-1", entry.Event.Value?.DeviceId));
            Assert.Null(delivery.Entries[300].Event.Value);
        }
    }

    /// <summary>A body that arrives in pieces of at most <paramref name="piece"/> bytes.</summary>
    private sealed class PiecewiseStream(byte[] data, int piece) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, piece));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);
    }
}
