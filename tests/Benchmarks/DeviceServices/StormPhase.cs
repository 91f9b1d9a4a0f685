using System.Collections.Concurrent;
using System.Diagnostics;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// A reconnect storm: every simulator is killed (SIGKILL: the broker publishes each device's last will) and started
/// again at once with a new boot counter, so every device reconnects, announces itself <c>online</c> and reports its
/// state. A twin is current again when the bus delivers an event of that device showing it online in a newer
/// connection epoch than before the kill (the new boot's <c>online</c> applied; its state report follows on the
/// same connection). A reconnection that changes nothing the twin shows (no presence or state change to tell) has no
/// event: when events stop coming, the twins of the devices still waiting are read (<c>GetTwin</c>) instead, and
/// count as current when read. Crafted state changes keep flowing meanwhile and are measured as in the state phase.
/// </summary>
public sealed class StormPhase(DevicePlatform platform, Observations observations, Fleet fleet)
{
    public async Task<StormResult> RunAsync(StateLoad? states, int stateRate, int? telemetryRate, TimeSpan within, CancellationToken cancellationToken)
    {
        var before = fleet.DeviceIds.ToDictionary(id => id, fleet.EpochOf);
        var current = new ConcurrentDictionary<string, long>();
        void OnEvent(DeviceEvent e, long at)
        {
            if (before.TryGetValue(e.DeviceId, out var epoch) && e.Twin.Presence.Status == PresenceState.Online && e.Twin.Presence.Epoch > epoch)
                current.TryAdd(e.DeviceId, at);
        }

        observations.DeviceEvent += OnEvent;
        using var stopStates = new CancellationTokenSource();
        var stateRun = states is not null && stateRate > 0 ? states.RunAsync(stateRate, stopStates.Token, cancellationToken) : null;
        try
        {
            // Let the state load settle before the storm starts.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var start = Stopwatch.GetTimestamp();
            await fleet.KillAsync();
            await fleet.StartAsync(telemetryRate, cancellationToken);
            var clock = Stopwatch.StartNew();
            var progress = (Count: -1, At: TimeSpan.Zero);
            var read = 0;
            while (current.Count < before.Count && clock.Elapsed < within)
            {
                if (current.Count != progress.Count) progress = (current.Count, clock.Elapsed);
                if (clock.Elapsed - progress.At > TimeSpan.FromSeconds(5)) read += await ReadTwinsAsync(before, current, cancellationToken);
                await Task.Delay(100, cancellationToken);
            }

            var seconds = current.IsEmpty ? double.NaN : Observations.Milliseconds(start, current.Values.Max()) / 1000;
            var half = current.Count == 0 ? double.NaN : Observations.Milliseconds(start, current.Values.Order().ElementAt(current.Count / 2)) / 1000;
            await stopStates.CancelAsync();
            var stateResult = stateRun is null ? null : await stateRun;
            return new StormResult(before.Count, current.Count, read, current.Count == before.Count ? seconds : null, half, stateResult);
        }
        finally
        {
            if (!stopStates.IsCancellationRequested) await stopStates.CancelAsync();
            observations.DeviceEvent -= OnEvent;
        }
    }

    /// <summary>Reads the twins of the devices not yet current; returns how many were.</summary>
    private async Task<int> ReadTwinsAsync(Dictionary<string, long> before, ConcurrentDictionary<string, long> current, CancellationToken cancellationToken)
    {
        var found = 0;
        await Parallel.ForEachAsync(before.Keys.Where(id => !current.ContainsKey(id)).ToList(),
            new ParallelOptions { MaxDegreeOfParallelism = 50, CancellationToken = cancellationToken }, async (id, _) =>
            {
                var twin = await platform.LightBulb(id).GetTwin();
                if (twin.Presence.Status == PresenceState.Online && twin.Presence.Epoch > before[id] && current.TryAdd(id, Stopwatch.GetTimestamp()))
                    Interlocked.Increment(ref found);
            });
        return found;
    }
}

/// <param name="Current">Devices whose twin was current again when the wait ended.</param>
/// <param name="CurrentByRead">Of those, the devices found current by reading their twin rather than by an event.</param>
/// <param name="AllCurrentSeconds">From the kill until the last twin was current; null when some never were.</param>
/// <param name="HalfCurrentSeconds">From the kill until half the twins were current.</param>
public sealed record StormResult(int Devices, int Current, int CurrentByRead, double? AllCurrentSeconds, double HalfCurrentSeconds, StateResult? States);
