using System.Diagnostics;
using System.Globalization;

namespace DaprIoT.Benchmarks.RuntimeLatency;

/// <summary>
/// One process's CPU and memory over a stretch of time, read from /proc: CPU as the cores it kept busy on average
/// (user + system time from /proc/pid/stat over wall time), memory as the highest resident set (VmRSS in
/// /proc/pid/status) seen in samples every 100 ms.
/// </summary>
public sealed class ProcessUsage : IAsyncDisposable
{
    // Linux reports utime and stime in USER_HZ ticks, 100 per second on every architecture .NET runs on.
    private const double TicksPerSecond = 100;
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(100);

    private readonly int _pid;
    private readonly long _startTicks;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peakRssKb;

    private ProcessUsage(int pid)
    {
        _pid = pid;
        _startTicks = CpuTicks(pid);
        _peakRssKb = RssKb(pid);
        _sampling = SampleAsync();
    }

    public static ProcessUsage Start(int pid) => new(pid);

    /// <summary>Stops sampling and returns average cores used and peak resident memory in MB.</summary>
    public async Task<(double Cores, double PeakMb)> StopAsync()
    {
        var ticks = CpuTicks(_pid) - _startTicks;
        var wall = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        await _stop.CancelAsync();
        await _sampling;
        return (ticks / TicksPerSecond / wall, Interlocked.Read(ref _peakRssKb) / 1024.0);
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(SampleEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var rss = RssKb(_pid);
                if (rss > Interlocked.Read(ref _peakRssKb)) Interlocked.Exchange(ref _peakRssKb, rss);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private static long CpuTicks(int pid)
    {
        // Fields after the command name, which is in parentheses and may itself hold spaces: state is field 3,
        // utime field 14 and stime field 15 of the whole line.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    private static long RssKb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
