using System.Collections.Concurrent;
using System.Diagnostics;
using DaprIoT.Benchmarks.RuntimeLatency;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// Command round trips at a fixed rate: <c>SetDesired</c> through an actor proxy (as device-management calls it)
/// to the simulated bulbs in turn, each a new brightness; the actor sends the command, the firmware acks and reports
/// its new state, and the round trip ends when the bus delivers the <c>device-events</c> message in which that
/// command is <c>Applied</c>. A command accepted but never seen applied is lost.
/// </summary>
public sealed class CommandPhase(DevicePlatform platform, Observations observations, Fleet fleet)
{
    /// <summary>How long to wait for the last commands once nothing more arrives.</summary>
    private static readonly TimeSpan Straggle = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, int> _brightness = [];

    public async Task<CommandResultSet> RunAsync(int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var applied = new ConcurrentDictionary<string, long>();
        void OnEvent(DeviceEvent e, long at)
        {
            foreach (var command in e.Twin.Commands)
                if (command.Status == CommandStatus.Applied) applied.TryAdd(command.Id, at);
        }

        var accepted = new ConcurrentDictionary<string, long>();
        long refused = 0, failed = 0;
        string? firstError = null;
        var devices = fleet.DeviceIds.Order(StringComparer.Ordinal).ToArray();
        observations.DeviceEvent += OnEvent;
        try
        {
            var pending = new List<Task>();
            var clock = Stopwatch.StartNew();
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
            long issued = 0;
            while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                // Open loop: as many as the clock says are due, whatever the platform's pace.
                var due = (long)(Math.Min(clock.Elapsed.TotalSeconds, duration.TotalSeconds) * rate);
                for (; issued < due; issued++)
                {
                    var device = devices[issued % devices.Length];
                    // Each command to a device asks for a brightness other than its last, so the device's state changes.
                    var brightness = _brightness[device] = _brightness.TryGetValue(device, out var last) ? last % 100 + 1 : 1;
                    pending.Add(SendAsync(device, brightness));
                }

                pending.RemoveAll(t => t.IsCompleted);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            await Task.WhenAll(pending);

            // Wait for the stragglers while they keep arriving.
            var waited = Stopwatch.StartNew();
            var progress = (Count: -1, At: TimeSpan.Zero);
            while (accepted.Keys.Any(id => !applied.ContainsKey(id)) && waited.Elapsed - progress.At < Straggle)
            {
                var done = accepted.Keys.Count(applied.ContainsKey);
                if (done != progress.Count) progress = (done, waited.Elapsed);
                await Task.Delay(100, cancellationToken);
            }

            var latencies = accepted.Where(a => applied.ContainsKey(a.Key)).Select(a => Observations.Milliseconds(a.Value, applied[a.Key])).ToList();
            return new CommandResultSet(rate, seconds, accepted.Count, refused, failed, accepted.Count - latencies.Count, new LatencySample(latencies), firstError);
        }
        finally
        {
            observations.DeviceEvent -= OnEvent;
        }

        async Task SendAsync(string device, int brightness)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                var result = await platform.LightBulb(device).SetDesired(new LightBulbDesired(BrightnessPct: brightness));
                if (result.Ok) accepted[result.CommandId!] = start;
                else
                {
                    Interlocked.Increment(ref refused);
                    firstError ??= string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}"));
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref failed);
                firstError ??= e.Message;
            }
        }
    }
}

/// <param name="Accepted">Commands the actor accepted.</param>
/// <param name="Refused">Commands the actor refused (a setup problem, e.g. a device not provisioned).</param>
/// <param name="Failed">Calls that failed (the actor could not be reached).</param>
/// <param name="Lost">Accepted commands never seen applied.</param>
public sealed record CommandResultSet(int Rate, double Seconds, int Accepted, long Refused, long Failed, int Lost, LatencySample RoundTrip, string? FirstError);
