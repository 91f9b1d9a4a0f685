using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

/// <summary>
/// A run killed before it could stop its apps leaves them holding their ports; the next run with the same data folder
/// stops them first. Real processes throughout: <c>sleep</c> as the app, and one that ignores SIGTERM.
/// </summary>
public sealed class ProcessLedgerTests
{
    private const int NoSuchPid = 999_999_999;

    [Fact]
    public async Task The_next_run_stops_the_apps_a_killed_run_left_running()
    {
        var ct = TestContext.Current.CancellationToken;
        var runtime = await InProcessRuntime.StartSleeperAsync(ct);
        var dataDirectory = Path.Combine(runtime.Folder, ".dapr-local");
        try
        {
            using var app = await runtime.AppProcessAsync("sleeper", ct);
            var record = Assert.Single(Directory.GetFiles(ProcessLedger.Folder(dataDirectory), "*.json"));
            var apps = JsonNode.Parse(File.ReadAllText(record))!["Processes"]!.AsArray();
            Assert.Equal(app.Id, apps.Single()!["Pid"]!.GetValue<int>());

            // As if that run had been killed: its record names a runtime that no longer runs.
            MarkRuntimeGone(record);
            using var next = await ProcessLedger.OpenAsync(dataDirectory, TimeSpan.FromSeconds(5), NullLogger.Instance, ct);

            Assert.True(app.HasExited, "the app left running is stopped");
            Assert.False(File.Exists(record), "and the killed run's record removed");
        }
        finally
        {
            await runtime.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_app_that_ignores_sigterm_is_killed_after_the_grace_and_live_runs_and_reused_pids_are_left_alone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var runs = Directory.CreateDirectory(ProcessLedger.Folder(folder.Path)).FullName;
        // It says when it ignores SIGTERM: a SIGTERM before that would end it at once.
        var ignoring = Path.Combine(folder.Path, "ignoring-sigterm");
        using var stubborn = Start("sh", "-c", "trap '' TERM; touch \"$0\"; sleep 300 & wait", ignoring);
        using var ofALiveRun = Start("sleep", "300");
        try
        {
            await Poll.UntilAsync(() => File.Exists(ignoring), ct);
            var self = Environment.ProcessId;
            var selfStart = ProcessStat.StartTicksOf(self)!.Value;
            // A killed run: an app ignoring SIGTERM, and a pid the system has since given to another process (this one).
            var killed = Write(runs, "1-killed.json", (NoSuchPid, 1),
                (stubborn.Id, ProcessStat.StartTicksOf(stubborn.Id)!.Value, false), (self, selfStart + 1, false));
            // A run still going (this process): its apps are its own business.
            var alive = Write(runs, "2-alive.json", (self, selfStart), (ofALiveRun.Id, ProcessStat.StartTicksOf(ofALiveRun.Id)!.Value, false));
            var started = Stopwatch.GetTimestamp();

            using var ledger = await ProcessLedger.OpenAsync(folder.Path, TimeSpan.FromMilliseconds(300), NullLogger.Instance, ct);

            Assert.True(stubborn.WaitForExit(TimeSpan.FromSeconds(5)), "the app ignoring SIGTERM is killed");
            Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(300), "after the grace");
            Assert.False(ofALiveRun.HasExited, "a live run's app is left alone");
            Assert.False(File.Exists(killed));
            Assert.True(File.Exists(alive));
            Assert.Equal(2, Directory.GetFiles(runs, "*.json").Length);   // the live run's, and this run's own

            ledger.Dispose();
            Assert.Equal([alive], Directory.GetFiles(runs, "*.json"));
        }
        finally
        {
            foreach (var process in new[] { stubborn, ofALiveRun })
                if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task What_a_left_app_started_is_stopped_with_it_even_once_the_app_itself_has_gone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var runs = Directory.CreateDirectory(ProcessLedger.Folder(folder.Path)).FullName;
        // Two apps as dapr-local starts them, each leading a process group of its own (setsid), each with a sleep it
        // started that has left its tree. The first app still runs; the second was killed alone, its sleep lives on.
        using var running = Start("setsid", "sh", "-c", LeftBehindProcess.StartCommand("\"$0\"") + "; exec sleep 300", Path.Combine(folder.Path, "left-a"));
        using var gone = Start("setsid", "sh", "-c", LeftBehindProcess.StartCommand("\"$0\"") + "; exec sleep 300", Path.Combine(folder.Path, "left-b"));
        LeftBehindProcess? ofRunning = null, ofGone = null;
        try
        {
            ofRunning = await LeftBehindProcess.ReadAsync(Path.Combine(folder.Path, "left-a"), ct);
            ofGone = await LeftBehindProcess.ReadAsync(Path.Combine(folder.Path, "left-b"), ct);
            var killed = Write(runs, "1-killed.json", (NoSuchPid, 1),
                (running.Id, ProcessStat.StartTicksOf(running.Id)!.Value, true), (gone.Id, ProcessStat.StartTicksOf(gone.Id)!.Value, true));
            gone.Kill();
            await gone.WaitForExitAsync(ct);

            using var ledger = await ProcessLedger.OpenAsync(folder.Path, TimeSpan.FromSeconds(5), NullLogger.Instance, ct);

            Assert.True(running.HasExited, "the app left running is stopped");
            Assert.False(ofRunning.IsRunning, "and what it started with it");
            Assert.False(ofGone.IsRunning, "what an app that has gone started is stopped too");
            Assert.False(File.Exists(killed));
        }
        finally
        {
            if (!running.HasExited) running.Kill();
            ofRunning?.Kill();
            ofGone?.Kill();
        }
    }

    private static Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    private static string Write(string folder, string name, (int Pid, long Start) runtime, params (int Pid, long Start, bool OwnGroup)[] apps)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            Runtime = new { runtime.Pid, StartTicks = runtime.Start, Name = "dapr-local" },
            Processes = apps.Select((a, i) => new { a.Pid, StartTicks = a.Start, Name = $"app-{i}", a.OwnGroup }),
        }));
        return path;
    }

    /// <summary>As if the run that wrote <paramref name="record"/> had been killed: it names a runtime that no longer runs.</summary>
    internal static void MarkRuntimeGone(string record)
    {
        var json = JsonNode.Parse(File.ReadAllText(record))!;
        json["Runtime"]!["Pid"] = NoSuchPid;
        File.WriteAllText(record, json.ToJsonString());
    }
}
