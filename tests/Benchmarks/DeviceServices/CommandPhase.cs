using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Dapr.Actors;
using DaprIoT.Benchmarks.RuntimeLatency;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Devices;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceServices.Tests.Platform;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>
/// Command round trips at a fixed rate: <c>SetDesired</c> as device-management calls it (plain JSON through the sidecar)
/// to the simulated bulbs in turn, each a new brightness; the actor sends the command, the firmware acks and reports
/// its new state, and the round trip ends when the bus delivers the <c>device-events</c> message in which that
/// command is <c>Applied</c>. A command accepted of which no outcome (applied, superseded by a newer command to the
/// same device, refused, given up) is seen is lost. The watcher also sees the command,
/// the ack and the new state pass the broker, which splits each round trip into its hops.
/// </summary>
public sealed class CommandPhase(DevicePlatform platform, Observations observations, Fleet fleet)
{
    /// <summary>
    /// How long to wait for the last commands once no more outcomes arrive. Long: behind a backlog the binding works
    /// off the acks and states of superseded commands first, which end nothing this phase waits for.
    /// </summary>
    private static readonly TimeSpan Straggle = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, int> _brightness = [];

    public async Task<CommandResultSet> RunAsync(int rate, TimeSpan duration, CancellationToken cancellationToken)
    {
        var applied = new ConcurrentDictionary<string, long>();
        // Commands that ended otherwise: a newer command to the same device superseded it before it was applied, the
        // device refused it, or the actor gave up re-sending it.
        var ended = new ConcurrentDictionary<string, CommandStatus>();
        void OnEvent(DeviceEvent e, long at)
        {
            foreach (var command in e.Twin.Commands)
            {
                if (command.Status == CommandStatus.Applied) applied.TryAdd(command.Id, at);
                else if (command.Status is CommandStatus.Superseded or CommandStatus.Rejected or CommandStatus.Failed) ended.TryAdd(command.Id, command.Status);
            }
        }

        bool Finished(string id) => applied.ContainsKey(id) || ended.ContainsKey(id);

        // What the broker forwarded to the watcher: commands and acks by command id, states by (device, brightness).
        var commandAt = new ConcurrentDictionary<string, long>();
        var ackAt = new ConcurrentDictionary<string, long>();
        var stateAt = new ConcurrentDictionary<(string, int), long>();
        void OnPublished(string topic, string payload, long at)
        {
            if (!Observations.DeviceIdOf(topic).StartsWith(Fleet.Prefix, StringComparison.Ordinal)) return;
            var kind = topic[(topic.LastIndexOf('/') + 1)..];
            if (kind is not ("cmd" or "ack" or "state")) return;
            using var json = JsonDocument.Parse(payload);
            if (kind == "cmd") commandAt.TryAdd(json.RootElement.GetProperty("id").GetString()!, at);
            else if (kind == "ack") ackAt.TryAdd(json.RootElement.GetProperty("id").GetString()!, at);
            else stateAt[(Observations.DeviceIdOf(topic), json.RootElement.GetProperty("brightnessPct").GetInt32())] = at;
        }

        var accepted = new ConcurrentDictionary<string, (long Start, long Returned, string Device, int Brightness)>();
        long refused = 0, failed = 0;
        string? firstError = null;
        var devices = fleet.DeviceIds.Order(StringComparer.Ordinal).ToArray();
        observations.DeviceEvent += OnEvent;
        observations.Published += OnPublished;
        try
        {
            long issued = 0;
            var seconds = await OpenLoop.RunAsync(rate, duration, due => Task.WhenAll(Enumerable.Range(0, due).Select(_ =>
            {
                var device = devices[issued++ % devices.Length];
                // Each command to a device asks for a brightness other than its last, so the device's state changes.
                var brightness = _brightness[device] = _brightness.TryGetValue(device, out var last) ? last % 100 + 1 : 1;
                return SendAsync(device, brightness);
            }).ToList()), cancellationToken);

            // Wait for the stragglers while they keep arriving.
            var waited = Stopwatch.StartNew();
            var progress = (Count: -1, At: TimeSpan.Zero);
            while (accepted.Keys.Any(id => !Finished(id)) && waited.Elapsed - progress.At < Straggle)
            {
                var finished = accepted.Keys.Count(Finished);
                if (finished != progress.Count) progress = (finished, waited.Elapsed);
                await Task.Delay(100, cancellationToken);
            }

            var done = accepted.Where(a => applied.ContainsKey(a.Key)).ToList();
            var latencies = done.Select(a => Observations.Milliseconds(a.Value.Start, applied[a.Key])).ToList();
            // Hops of the round trips whose every step the watcher saw.
            var whole = done.Where(a => commandAt.ContainsKey(a.Key) && ackAt.ContainsKey(a.Key) && stateAt.ContainsKey((a.Value.Device, a.Value.Brightness)))
                .Select(a => (a.Value, Cmd: commandAt[a.Key], Ack: ackAt[a.Key], State: stateAt[(a.Value.Device, a.Value.Brightness)], Applied: applied[a.Key])).ToList();
            var hops = new List<(string, LatencySample)>
            {
                ("SetDesired call returns", new LatencySample(done.Select(a => Observations.Milliseconds(a.Value.Start, a.Value.Returned)))),
                ("call → cmd at the broker", new LatencySample(whole.Select(w => Observations.Milliseconds(w.Value.Start, w.Cmd)))),
                ("cmd → ack at the broker (firmware)", new LatencySample(whole.Select(w => Observations.Milliseconds(w.Cmd, w.Ack)))),
                ("ack → state at the broker (firmware)", new LatencySample(whole.Select(w => Observations.Milliseconds(w.Ack, w.State)))),
                ("state → Applied event delivered (platform)", new LatencySample(whole.Select(w => Observations.Milliseconds(w.State, w.Applied)))),
            };
            var superseded = accepted.Keys.Count(id => !applied.ContainsKey(id) && ended.TryGetValue(id, out var status) && status == CommandStatus.Superseded);
            var unsuccessful = accepted.Keys.Count(id => !applied.ContainsKey(id) && ended.TryGetValue(id, out var status) && status != CommandStatus.Superseded);
            var lost = accepted.Keys.Count(id => !Finished(id));
            return new CommandResultSet(rate, seconds, waited.Elapsed.TotalSeconds, accepted.Count, refused, failed, superseded, unsuccessful, lost,
                new LatencySample(latencies), hops, firstError);
        }
        finally
        {
            observations.DeviceEvent -= OnEvent;
            observations.Published -= OnPublished;
        }

        async Task SendAsync(string device, int brightness)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                var result = await platform.Actors.Create(new ActorId(device), ActorTypes.LightBulb)
                    .InvokeMethodAsync<LightBulbDesired, CommandResult>(nameof(ILightBulbActor.SetDesired), new LightBulbDesired(BrightnessPct: brightness));
                if (result.Ok) accepted[result.CommandId!] = (start, Stopwatch.GetTimestamp(), device, brightness);
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
/// <param name="WaitSeconds">How long the last commands were waited for after the stretch.</param>
/// <param name="Superseded">Accepted commands a newer command to the same device replaced before the device applied them.</param>
/// <param name="Unsuccessful">Accepted commands the device refused or the actor gave up on.</param>
/// <param name="Lost">Accepted commands of which no outcome was seen.</param>
public sealed record CommandResultSet(int Rate, double Seconds, double WaitSeconds, int Accepted, long Refused, long Failed, int Superseded, int Unsuccessful, int Lost,
    LatencySample RoundTrip,
    IReadOnlyList<(string Hop, LatencySample Latency)> Hops, string? FirstError);
