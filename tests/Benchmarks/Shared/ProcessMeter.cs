using System.Globalization;

namespace DaprIoT.Benchmarks;

/// <summary>
/// CPU seconds and peak resident memory of every process of the platform over one measured stretch, read from
/// /proc. The processes are this one's descendants, named by role: device-management, dapr-local, the device services
/// (lightbulb, sousvide), auth, mosquitto (started by dapr-local), redis-server, firmware simulators and hub clients in
/// child processes (each summed) and this benchmark itself. A role no process plays is left out of the report.
/// Processes are looked up on every sample, so a process restarted during the stretch is counted too.
/// </summary>
public sealed class ProcessMeter : IAsyncDisposable
{
    // Linux reports utime and stime in USER_HZ ticks, 100 per second on every architecture .NET runs on.
    private const double TicksPerSecond = 100;
    public static readonly string[] Roles = ["device-management", "dapr-local", "lightbulb", "sousvide", "auth", "mosquitto", "redis-server", "simulators", "clients", "benchmark"];

    private readonly Dictionary<int, (string Role, long FirstTicks, long LastTicks)> _seen = [];
    private readonly Dictionary<string, long> _peakRssKb = Roles.ToDictionary(r => r, _ => 0L);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private ProcessMeter(bool fromStart)
    {
        Sample(firstSample: fromStart);
        _sampling = SampleAsync();
    }

    /// <summary>Starts measuring now: CPU used before this moment is not counted.</summary>
    public static ProcessMeter Start() => new(fromStart: true);

    /// <summary>Wall-clock seconds from <see cref="Start"/> to <see cref="StopAsync"/>, over which the CPU was counted.</summary>
    public double Seconds { get; private set; }

    /// <summary>Per role: CPU seconds used since <see cref="Start"/> and the highest resident memory seen, MB.</summary>
    public async Task<IReadOnlyDictionary<string, (double CpuSeconds, double PeakMb)>> StopAsync()
    {
        Seconds = _clock.Elapsed.TotalSeconds;
        await _stop.CancelAsync();
        await _sampling;
        lock (_seen)
        {
            Sample(firstSample: false);
            return Roles.ToDictionary(r => r, r => (
                _seen.Values.Where(p => p.Role == r).Sum(p => p.LastTicks - p.FirstTicks) / TicksPerSecond,
                _peakRssKb[r] / 1024.0));
        }
    }

    /// <summary>The pids of a role now.</summary>
    public static IReadOnlyList<int> Pids(string role) => Platform().Where(p => p.Role == role).Select(p => p.Pid).ToList();

    public static long RssKb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>The soft limit on open files of a process (<c>ulimit -n</c>).</summary>
    public static long OpenFilesLimit(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? long.MaxValue : long.Parse(soft, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Waits until the processes of <paramref name="roles"/> together use under half a core (over 2 s), at most 60 s,
    /// so a stretch starts on a settled platform; returns the seconds waited.
    /// </summary>
    public static async Task<double> QuietAsync(IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var before = roles.Sum(r => Now(r).Ticks);
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var now = roles.Sum(r => Now(r).Ticks);
            if (now - before < TicksPerSecond) break;        // under 1 s of CPU in 2 s: half a core
            before = now;
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Resident memory and CPU ticks of one role now, summed over its processes.</summary>
    public static (long RssKb, long Ticks) Now(string role)
    {
        long rss = 0, ticks = 0;
        foreach (var pid in Pids(role))
        {
            try { rss += RssKb(pid); ticks += CpuTicks(pid); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException) { }
        }

        return (rss, ticks);
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                lock (_seen) Sample(firstSample: false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private void Sample(bool firstSample)
    {
        var rss = Roles.ToDictionary(r => r, _ => 0L);
        foreach (var (pid, role) in Platform())
        {
            try
            {
                var ticks = CpuTicks(pid);
                // A process first seen after the start began during the stretch: all of its CPU time counts.
                _seen[pid] = _seen.TryGetValue(pid, out var known) ? known with { LastTicks = ticks } : (role, firstSample ? ticks : 0, ticks);
                rss[role] += RssKb(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // The process ended between listing and reading it; its last sample stands.
            }
        }

        foreach (var (role, kb) in rss) _peakRssKb[role] = Math.Max(_peakRssKb[role], kb);
    }

    /// <summary>This process and its descendants that play a role, found from /proc.</summary>
    private static IEnumerable<(int Pid, string Role)> Platform()
    {
        var self = Environment.ProcessId;
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText($"{dir}/stat");
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(pid);
            }
            catch (IOException)
            {
                // Gone already.
            }
        }

        var pending = new Stack<int>([self]);
        while (pending.Count > 0)
        {
            var pid = pending.Pop();
            if (children.TryGetValue(pid, out var list)) foreach (var child in list) pending.Push(child);
            if (RoleOf(pid, self) is { } role) yield return (pid, role);
        }
    }

    private static string? RoleOf(int pid, int self)
    {
        if (pid == self) return "benchmark";
        try
        {
            var comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            if (comm is "mosquitto" or "redis-server") return comm;
            if (comm == "dapriot-devices") return "simulators";
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            if (commandLine.Contains("--client", StringComparison.Ordinal)) return "clients";
            if (commandLine.Contains("DaprIoT.DeviceManagement.dll", StringComparison.Ordinal)) return "device-management";
            if (commandLine.Contains("DaprIoT.Auth.dll", StringComparison.Ordinal)) return "auth";
            if (commandLine.Contains("dapr-local.dll", StringComparison.Ordinal)) return "dapr-local";
            if (commandLine.Contains("DaprIoT.LightBulb.dll", StringComparison.Ordinal)) return "lightbulb";
            if (commandLine.Contains("DaprIoT.SousVide.dll", StringComparison.Ordinal)) return "sousvide";
        }
        catch (IOException)
        {
            // Gone already.
        }

        return null;
    }

    private static long CpuTicks(int pid)
    {
        // Fields after the command name, which is in parentheses and may itself hold spaces: utime is field 14 and
        // stime field 15 of the whole line.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
