using System.Globalization;
using DaprIoT.Benchmarks.RuntimeLatency;
using DaprIoT.TestSupport;

namespace DaprIoT.Benchmarks.DeviceServices;

/// <summary>The printed figures, and the aims of the issue they are held against.</summary>
public sealed class Report
{
    private readonly List<(string Aim, string Measured, bool? Met)> _summary = [];

    public static void Heading(string text)
    {
        Console.WriteLine();
        Console.WriteLine(text);
        Console.WriteLine(new string('-', text.Length));
    }

    public static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Prints what went wrong inside the platform since <paramref name="seen"/> lines had been logged (failed
    /// deliveries, refused entries, closed connections), so a figure that rests on redeliveries or failures does not
    /// pass unnoticed; returns how many lines there are now.
    /// </summary>
    public static int PrintProblemsSince(LocalRuntimeHarness runtime, int seen)
    {
        var problems = runtime.LoggedProblems();
        var added = problems.Skip(seen).ToList();
        if (added.Count > 0)
        {
            Line($"  dapr-local and the apps logged {added.Count:#,0} warning or error lines meanwhile; the first {Math.Min(3, added.Count)}:");
            foreach (var line in added.Take(3)) Line($"    {(line.Length > 300 ? line[..300] + "…" : line)}");
        }

        return problems.Count;
    }

    public static string Ms(LatencySample sample) =>
        sample.Count == 0 ? "none measured" : Text($"p50 {sample.P50:0.0} ms, p99 {sample.P99:0.0} ms over {sample.Count:#,0}");

    /// <summary>
    /// CPU seconds and peak resident memory of each process over the stretch just measured, and the CPU each spent
    /// per operation (<paramref name="operations"/>: messages, commands…), which says what a rate would cost.
    /// </summary>
    public static void Processes(IReadOnlyDictionary<string, (double CpuSeconds, double PeakMb)> usage, double seconds, long operations = 0, string per = "")
    {
        Line($"  {"process",-14} {"CPU s",8} {"cores",6} {"peak RSS MB",12} {(operations > 0 ? $"CPU ms per {per}" : "")}");
        foreach (var (role, (cpu, peak)) in usage)
            if (cpu > 0 || peak > 0)
                Line($"  {role,-14} {cpu,8:0.0} {cpu / seconds,6:0.00} {peak,12:0} {(operations > 0 ? Text($"{cpu * 1000 / operations,10:0.00}") : "")}");
    }

    /// <summary>An aim and the figure held against it; <paramref name="met"/> null for a figure without an aim.</summary>
    public void Aim(string aim, string measured, bool? met) => _summary.Add((aim, measured, met));

    public void Summary()
    {
        Heading("Summary: aims of the issue against this run");
        Line($"{"aim",-58} {"measured",-44} result");
        foreach (var (aim, measured, met) in _summary)
            Line($"{aim,-58} {measured,-44} {(met is null ? "-" : met.Value ? "PASS" : "MISS")}");
    }

    public static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
