using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.Statistics.Api;
using DaprIoT.Statistics.Programs;
using DaprIoT.Statistics.Rollups;
using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace DaprIoT.Statistics.Tests.Platform;

/// <summary>The statistics service under dapr-local with real Redis: telemetry and device events in, series out.</summary>
public sealed class StatisticsPlatformTests(StatisticsPlatform platform) : IClassFixture<StatisticsPlatform>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Telemetry_batches_become_minute_buckets_only_the_owner_can_read_until_the_device_is_removed()
    {
        var deviceId = $"bulb-{Guid.NewGuid():N}";
        var minute = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(2);
        // Both minutes in one hour, so the hourly series below has one bucket whatever the time of day.
        if (minute.Minute == 59) minute -= TimeSpan.FromMinutes(1);
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Provisioned);
        await BulkPublishAsync([Bulb(deviceId, minute.AddSeconds(1), 100), Bulb(deviceId, minute.AddSeconds(20), 200)]);
        await BulkPublishAsync([Bulb(deviceId, minute.AddSeconds(40), 600), Bulb(deviceId, minute.AddMinutes(1), 50)]);

        var series = await Eventually.UntilAsync(_ => SeriesAsync(deviceId, "alice"),
            s => s?.Measures.GetValueOrDefault(Measures.PowerMw)?.Sum(p => p.Count) == 4,
            "alice's series holds all four readings", Describe, Patience, Ct);

        Assert.Equal(
            [new SeriesPoint(minute, 3, 100, 600, 300), new SeriesPoint(minute.AddMinutes(1), 1, 50, 50, 50)],
            series!.Measures[Measures.PowerMw]);
        // A batch updates its minute entries, then its hour entry: the hour may still trail the minutes here.
        var hour = Assert.Single(await SettledSeriesAsync(deviceId, "hour", s => s.Sum(p => p.Count) >= 4));
        Assert.Equal(new SeriesPoint(StartOfHour(minute), 4, 50, 600, 237.5), hour);

        var bobs = await GetAsync(SeriesUrl(deviceId), "bob");
        Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        Assert.Equal("Unknown device", (await bobs.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!.Title);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(SeriesUrl("bulb-nobody-has"), "alice")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(SeriesUrl(deviceId), userId: null)).StatusCode);

        await PublishDeviceEventAsync(deviceId, version: 2, DeviceChanges.Removed);

        await Eventually.UntilAsync(_ => GetAsync(SeriesUrl(deviceId), "alice"), r => r.StatusCode == HttpStatusCode.NotFound,
            "alice's removed device is unknown", r => r.StatusCode.ToString(), Patience, Ct);
        // The tombstone is written before the roll-ups are deleted, so their deletion may follow the 404 by a moment.
        await UntilDeletedAsync(RollupPlan.EntryKey(deviceId, Resolution.Minute, minute), RollupPlan.EntryKey(deviceId, Resolution.Hour, minute));
    }

    [Fact]
    public async Task Batches_of_one_device_delivered_side_by_side_all_count()
    {
        var deviceId = $"cooker-{Guid.NewGuid():N}";
        var minute = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(1);
        await PublishDeviceEventAsync(deviceId, version: 3, DeviceChanges.Provisioned, "sousvide");

        await Task.WhenAll(Enumerable.Range(0, 10).Select(batch => BulkPublishAsync(
            [.. Enumerable.Range(0, 20).Select(i => Cooker(deviceId, minute.AddSeconds(i), 50 + batch, heating: i % 4 != 0))])));

        var series = await Eventually.UntilAsync(_ => SeriesAsync(deviceId, "alice"),
            s => s?.Measures.GetValueOrDefault(Measures.WaterTempC)?.Sum(p => p.Count) == 200,
            "all 200 readings are counted", Describe, Patience, Ct);
        var temperature = Assert.Single(series!.Measures[Measures.WaterTempC]);
        Assert.Equal((50, 59, 54.5), (temperature.Min, temperature.Max, temperature.Avg));
        Assert.Equal(0.75, Assert.Single(series.Measures[Measures.Heating]).Avg);
    }

    [Fact]
    public async Task A_finished_program_is_summarised_from_the_readings_taken_while_it_ran()
    {
        var deviceId = $"cooker-{Guid.NewGuid():N}";
        var start = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(3);
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Provisioned, "sousvide");
        await BulkPublishAsync([
            Cooker(deviceId, start.AddMinutes(-1), 20, heating: true),              // before the program: not counted
            Cooker(deviceId, start.AddSeconds(30), 50, heating: true),
            Cooker(deviceId, start.AddMinutes(1), 56, heating: false)]);
        var program = new ProgramView("cmd-1", 56.5m, 120, start, start.AddMinutes(2), "done", 120, ProgramStatus.Completed, "device",
            start.AddMinutes(2));
        await PublishDeviceEventAsync(deviceId, version: 2, DeviceChanges.Program, "sousvide", program);

        var summaries = await Eventually.UntilAsync(async _ =>
            {
                var response = await GetAsync($"/api/statistics/devices/{deviceId}/programs", "alice");
                return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<List<ProgramSummary>>(ContractJson.Options, Ct) : null;
            },
            s => s is [{ Program.Status: ProgramStatus.Completed } only] && only.Measures.GetValueOrDefault(Measures.WaterTempC)?.Count == 2,
            "the finished program is summarised from its two readings", s => s is null ? "404" : System.Text.Json.JsonSerializer.Serialize(s),
            Patience, Ct);

        var summary = Assert.Single(summaries!);
        Assert.Equal(("cmd-1", "minute"), (summary.Program.CommandId, summary.Resolution));
        Assert.Equal(new MeasureSummary(2, 50, 56, 53), summary.Measures[Measures.WaterTempC]);
        Assert.Equal(0.5, summary.Measures[Measures.Heating].Avg);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/api/statistics/devices/{deviceId}/programs", "bob")).StatusCode);
    }

    [Fact]
    public async Task The_same_batch_delivered_twice_counts_once()
    {
        var deviceId = $"bulb-{Guid.NewGuid():N}";
        var minute = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(2);
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Provisioned);
        TelemetryReading[] batch = [.. Enumerable.Range(0, 20).Select(i => Bulb(deviceId, minute.AddSeconds(i), 100 + i))];

        // Twice at once (the copies race for the same entries on both replicas), then a third time, reversed, beside
        // one new reading: what a redelivery after a crash or a processing timeout hands the service.
        await Task.WhenAll(BulkPublishAsync(batch), BulkPublishAsync(batch));
        await BulkPublishAsync([.. batch.Reverse(), Bulb(deviceId, minute.AddSeconds(30), 1000)]);

        var series = await SettledSeriesAsync(deviceId, "minute", s => s.Sum(p => p.Count) >= 21 && s.Any(p => p.Max == 1000));
        Assert.Equal([new SeriesPoint(minute, 21, 100, 1000, 3190.0 / 21)], series);
        var hourly = await SettledSeriesAsync(deviceId, "hour", s => s.Sum(p => p.Count) >= 21);
        Assert.Equal([new SeriesPoint(StartOfHour(minute), 21, 100, 1000, 3190.0 / 21)], hourly);
    }

    [Fact]
    public async Task A_device_retried_after_a_partial_write_counts_each_reading_once_in_every_bucket()
    {
        var deviceId = $"bulb-{Guid.NewGuid():N}";
        var minute = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(2);
        var hourKey = RollupPlan.EntryKey(deviceId, Resolution.Hour, minute);
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Provisioned);
        await BulkPublishAsync([.. Enumerable.Range(0, 5).Select(i => Bulb(deviceId, minute.AddSeconds(i), 100))]);
        await SettledSeriesAsync(deviceId, "hour", s => s.Sum(p => p.Count) == 5);
        var hourEntryBefore = await StoredAsync(hourKey);
        TelemetryReading[] second = [.. Enumerable.Range(10, 5).Select(i => Bulb(deviceId, minute.AddSeconds(i), 200))];
        await BulkPublishAsync(second);
        await SettledSeriesAsync(deviceId, "hour", s => s.Sum(p => p.Count) == 10);

        // As if the second batch's hour entry had not been written (the minute entry had): the device's entries were
        // answered RETRY, and the sidecar delivers the same readings again.
        await StoreAsync(hourKey, hourEntryBefore!);
        Assert.Equal(5, (await SeriesOrEmptyAsync(deviceId, "hour")).Sum(p => p.Count));
        await BulkPublishAsync(second);

        var hourly = await SettledSeriesAsync(deviceId, "hour", s => s.Sum(p => p.Count) >= 10);
        Assert.Equal([new SeriesPoint(StartOfHour(minute), 10, 100, 200, 150)], hourly);
        Assert.Equal([new SeriesPoint(minute, 10, 100, 200, 150)], await SettledSeriesAsync(deviceId, "minute", s => s.Count > 0));
    }

    [Fact]
    public async Task Telemetry_arriving_after_a_removal_is_refused_and_does_not_bring_the_devices_statistics_back()
    {
        var deviceId = $"bulb-{Guid.NewGuid():N}";
        var minute = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(3);
        var keys = new[] { RollupPlan.EntryKey(deviceId, Resolution.Minute, minute), RollupPlan.EntryKey(deviceId, Resolution.Hour, minute) };
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Provisioned);
        await BulkPublishAsync([Bulb(deviceId, minute, 100), Bulb(deviceId, minute.AddSeconds(10), 100)]);
        await SettledSeriesAsync(deviceId, "minute", s => s.Sum(p => p.Count) == 2);
        await PublishDeviceEventAsync(deviceId, version: 2, DeviceChanges.Removed);
        await Eventually.UntilAsync(_ => GetAsync(SeriesUrl(deviceId), "alice"), r => r.StatusCode == HttpStatusCode.NotFound,
            "alice's removed device is unknown", r => r.StatusCode.ToString(), Patience, Ct);
        // The 404 comes with the tombstone, the deletion a moment later: an entry seen below must be one re-created.
        await UntilDeletedAsync(keys);

        var refusedBefore = await ReadingsCountedAsync("outcome=\"rejected\"", "reason=\"device_removed\"");

        // Readings taken before the removal, delivered after it (a redelivery, a slow replica).
        await BulkPublishAsync([Bulb(deviceId, minute.AddSeconds(20), 300), Bulb(deviceId, minute.AddSeconds(30), 310)]);

        // Until both are refused — or, as before ownership was checked, the readings have re-created an entry.
        await Eventually.UntilAsync(async _ => (Refused: await ReadingsCountedAsync("outcome=\"rejected\"", "reason=\"device_removed\""),
                Recreated: await StoredAsync(keys[0]) is not null || await StoredAsync(keys[1]) is not null),
            seen => seen.Refused >= refusedBefore + 2 || seen.Recreated, "both late readings are counted as refused",
            seen => $"{seen.Refused - refusedBefore} refused", Patience, Ct);
        foreach (var key in keys) Assert.Null(await StoredAsync(key));

        // An event older than the removal, delivered late, brings back neither the owner nor a program history.
        var program = new ProgramView("cmd-late", 56.5m, 120, minute, minute.AddMinutes(2), "heating", 60, ProgramStatus.Running, null, null);
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Program, "lightbulb", program);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(SeriesUrl(deviceId), "alice")).StatusCode);
        Assert.Null(await StoredAsync(RollupPlan.ProgramsKey(deviceId)));

        // Provisioned again, the id continues its version: a new life that holds only its own readings.
        await PublishDeviceEventAsync(deviceId, version: 3, DeviceChanges.Provisioned);
        await Eventually.UntilAsync(_ => GetAsync(SeriesUrl(deviceId), "alice"), r => r.IsSuccessStatusCode,
            "the device provisioned again is alice's", r => r.StatusCode.ToString(), Patience, Ct);
        await BulkPublishAsync([Bulb(deviceId, minute.AddMinutes(1), 50)]);
        Assert.Equal([new SeriesPoint(minute.AddMinutes(1), 1, 50, 50, 50)],
            await SettledSeriesAsync(deviceId, "minute", s => s.Sum(p => p.Count) >= 1));
    }

    [Fact]
    public async Task Telemetry_arriving_before_the_devices_first_event_is_kept_until_the_event_names_its_owner()
    {
        var deviceId = $"cooker-{Guid.NewGuid():N}";
        var minute = StartOfMinute(DateTimeOffset.UtcNow) - TimeSpan.FromMinutes(2);
        var keptBefore = await ReadingsCountedAsync("outcome=\"kept_unknown_device\"");

        await BulkPublishAsync([.. Enumerable.Range(0, 3).Select(i => Cooker(deviceId, minute.AddSeconds(i), 60 + i, heating: true))]);
        await Eventually.UntilAsync(_ => ReadingsCountedAsync("outcome=\"kept_unknown_device\""), kept => kept >= keptBefore + 3,
            "the readings of the device not heard of yet are kept", kept => $"{kept - keptBefore}", Patience, Ct);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(SeriesUrl(deviceId), "alice")).StatusCode);
        await PublishDeviceEventAsync(deviceId, version: 1, DeviceChanges.Provisioned, "sousvide");

        var series = await Eventually.UntilAsync(_ => SeriesAsync(deviceId, "alice"),
            s => s?.Measures.GetValueOrDefault(Measures.WaterTempC)?.Sum(p => p.Count) == 3,
            "alice's series holds the three readings that came before the device's event", Describe, Patience, Ct);
        Assert.Equal([new SeriesPoint(minute, 3, 60, 62, 61)], series!.Measures[Measures.WaterTempC]);
    }

    [Fact]
    public async Task A_bad_query_is_a_400_naming_the_parameter()
    {
        var response = await GetAsync($"{SeriesUrl("any-device")}?resolution=fortnight", "alice");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("resolution", (await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>(Ct))!.Errors.Keys);
    }

    private static string SeriesUrl(string deviceId) => $"/api/statistics/devices/{deviceId}/series";

    // Every reading its own seq, as a device numbers its messages: statistics counts a (boot, seq) once per bucket.
    private static uint _seq;

    private static TelemetryReading Bulb(string deviceId, DateTimeOffset at, int powerMw) =>
        new(deviceId, "lightbulb", 1, Interlocked.Increment(ref _seq), at, 60, PowerMw: powerMw);

    private static TelemetryReading Cooker(string deviceId, DateTimeOffset at, decimal celsius, bool heating) =>
        new(deviceId, "sousvide", 1, Interlocked.Increment(ref _seq), at, 60, WaterTempC: celsius, Heating: heating);

    private static DateTimeOffset StartOfMinute(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    private static DateTimeOffset StartOfHour(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    private async Task BulkPublishAsync(IReadOnlyList<TelemetryReading> readings)
    {
        var result = await platform.Publisher.BulkPublishEventAsync(ComponentNames.PubSub, Topics.Telemetry, readings, cancellationToken: Ct);
        Assert.Empty(result.FailedEntries);
    }

    private Task PublishDeviceEventAsync(string deviceId, long version, string change, string deviceType = "lightbulb", ProgramView? program = null)
    {
        var twin = new DeviceTwinView(deviceId, deviceType, change != DeviceChanges.Removed, "alice", "Desk", version,
            new PresenceView(PresenceState.Unknown, 0, null, null, null, null, null), new Dictionary<string, PropertyView>(), [], program);
        return platform.Publisher.PublishEventAsync(ComponentNames.PubSub, Topics.DeviceEvents,
            new DeviceEvent(deviceId, deviceType, "alice", version, DateTimeOffset.UtcNow, [change], twin), Ct);
    }

    private async Task<HttpResponseMessage> GetAsync(string url, string? userId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (userId is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", platform.Tokens.For(userId));
        return await platform.Statistics.SendAsync(request, Ct);
    }

    private async Task<SeriesResponse?> SeriesAsync(string deviceId, string userId)
    {
        var response = await GetAsync(SeriesUrl(deviceId), userId);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<SeriesResponse>(Ct) : null;
    }

    /// <summary>
    /// The series of one measure (<c>powerMw</c>, or <c>waterTempC</c> for cookers) once <paramref name="ready"/> holds,
    /// read again after a pause: a delivery still in flight (a second copy, say) has landed by then, so counting too
    /// much shows.
    /// </summary>
    private async Task<IReadOnlyList<SeriesPoint>> SettledSeriesAsync(string deviceId, string resolution, Func<IReadOnlyList<SeriesPoint>, bool> ready)
    {
        await Eventually.UntilAsync(_ => SeriesOrEmptyAsync(deviceId, resolution), ready, $"the {resolution} series of {deviceId} is ready",
            s => $"[{string.Join(", ", s)}]\n{platform.Runtime.Output}", Patience, Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        return await SeriesOrEmptyAsync(deviceId, resolution);
    }

    private async Task<IReadOnlyList<SeriesPoint>> SeriesOrEmptyAsync(string deviceId, string resolution)
    {
        var response = await GetAsync($"{SeriesUrl(deviceId)}?resolution={resolution}", "alice");
        if (!response.IsSuccessStatusCode) return [];
        var measures = (await response.Content.ReadFromJsonAsync<SeriesResponse>(Ct))!.Measures;
        return measures.GetValueOrDefault(Measures.PowerMw) ?? measures.GetValueOrDefault(Measures.WaterTempC) ?? [];
    }

    /// <summary>A state entry of the statistics app as stored (its JSON), or null when there is none.</summary>
    private async Task<string?> StoredAsync(string key)
    {
        var response = await platform.Runtime.Client.GetAsync(
            $"{platform.Runtime.SidecarUrl(AppIds.Statistics)}/v1.0/state/{ComponentNames.StateStore}/{key}", Ct);
        return response.StatusCode == HttpStatusCode.NoContent ? null : await response.Content.ReadAsStringAsync(Ct);
    }

    private async Task UntilDeletedAsync(params string[] keys)
    {
        foreach (var key in keys)
        {
            await Eventually.UntilAsync(_ => StoredAsync(key), stored => stored is null, $"{key} is deleted", stored => stored ?? "", Patience, Ct);
        }
    }

    private async Task StoreAsync(string key, string json)
    {
        var body = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject
        {
            ["key"] = key,
            ["value"] = System.Text.Json.Nodes.JsonNode.Parse(json),
        });
        using var content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        var response = await platform.Runtime.Client.PostAsync($"{platform.Runtime.SidecarUrl(AppIds.Statistics)}/v1.0/state/{ComponentNames.StateStore}",
            content, Ct);
        Assert.True(response.IsSuccessStatusCode, $"saving {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    /// <summary>The sum over both replicas of <c>dapriot_statistics_readings_total</c> series whose labels contain all of <paramref name="labels"/>.</summary>
    private async Task<double> ReadingsCountedAsync(params string[] labels)
    {
        double total = 0;
        foreach (var replica in platform.Replicas)
        {
            var text = await replica.GetStringAsync("/metrics", Ct);
            foreach (var line in text.Split('\n'))
            {
                if (!line.StartsWith("dapriot_statistics_readings_total{", StringComparison.Ordinal)) continue;
                var close = line.LastIndexOf('}');
                if (!labels.All(label => line.AsSpan(0, close).Contains(label, StringComparison.Ordinal))) continue;
                var value = line[(close + 1)..].Trim().Split(' ')[0];
                total += double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    private string Describe(SeriesResponse? series) => series is null
        ? $"no series (404)\n{platform.Runtime.Output}"
        : string.Join("; ", series.Measures.Select(m => $"{m.Key}: {string.Join(", ", m.Value)}"));
}
