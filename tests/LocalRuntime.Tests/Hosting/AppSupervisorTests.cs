using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using DaprIoT.LocalRuntime.Hosting;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

public sealed class AppSupervisorTests
{
    [Fact]
    public async Task An_app_is_started_in_its_folder_with_the_environment_dapr_run_gives_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var appPort = DaprIoT.LocalRuntime.Hosting.FreePorts.Next();
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            common:
              env: { SHARED: from-common, OVERRIDDEN: common }
            apps:
              - appID: envapp
                appDirPath: ./apps/envapp
                appPort: {{appPort}}
                command: ["sh", "-c", "env > env.tmp && mv env.tmp env.txt; exec sleep 60"]
                env: { OVERRIDDEN: app, DAPR_API_TOKEN: tok, APP_API_TOKEN: apptok }
            """, cancellationToken: ct);
        var envFile = Path.Combine(runtime.Folder, "apps", "envapp", "env.txt");
        // Written aside and renamed: an environment larger than the shell's output buffer is not read half-written.
        await Poll.UntilAsync(() => File.Exists(envFile), ct, TimeSpan.FromSeconds(10));

        var env = File.ReadAllLines(envFile).Where(l => l.Contains('=')).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var sidecar = runtime.Sidecar("envapp");

        Assert.Equal("envapp", env["APP_ID"]);
        Assert.Equal(appPort.ToString(CultureInfo.InvariantCulture), env["APP_PORT"]);
        Assert.Equal("http", env["APP_PROTOCOL"]);
        Assert.Equal("127.0.0.1", env["APP_CHANNEL_ADDRESS"]);
        Assert.Equal(sidecar.Context.HttpPort.ToString(CultureInfo.InvariantCulture), env["DAPR_HTTP_PORT"]);
        Assert.Equal(sidecar.Settings.GrpcPort.ToString(CultureInfo.InvariantCulture), env["DAPR_GRPC_PORT"]);
        Assert.Equal(sidecar.Settings.MetricsPort.ToString(CultureInfo.InvariantCulture), env["DAPR_METRICS_PORT"]);
        Assert.Equal("from-common", env["SHARED"]);
        Assert.Equal("app", env["OVERRIDDEN"]);
        Assert.Equal("tok", env["DAPR_API_TOKEN"]);
        Assert.Equal("apptok", env["APP_API_TOKEN"]);
        Assert.NotEqual(sidecar.Context.HttpPort, sidecar.Settings.GrpcPort);
        Assert.True(Directory.EnumerateFiles(Path.Combine(runtime.Folder, "apps", "envapp", ".dapr", "logs"), "envapp_app_*.log").Any());
    }

    [Fact]
    public async Task A_crashing_app_is_restarted_with_growing_backoff_and_its_sidecar_becomes_healthy_again()
    {
        var ct = TestContext.Current.CancellationToken;
        var appPort = DaprIoT.LocalRuntime.Hosting.FreePorts.Next();
        // The app listens (python's http.server) but the first two runs die after a moment.
        await using var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            apps:
              - appID: crashy
                appDirPath: ./apps/crashy
                appPort: {{appPort}}
                command: ["sh", "-c", "date +%s.%N >> runs.txt; n=$(wc -l < runs.txt); if [ $n -le 2 ]; then exit 3; fi; exec python3 -m http.server {{appPort}} --bind 127.0.0.1"]
            """, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct, TimeSpan.FromSeconds(20));

        var runs = File.ReadAllLines(Path.Combine(runtime.Folder, "apps", "crashy", "runs.txt"))
            .Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(3, runs.Count);
        var firstGap = runs[1] - runs[0];
        var secondGap = runs[2] - runs[1];
        Assert.InRange(firstGap, 0.9, 2.5);
        Assert.InRange(secondGap, 1.9, 3.5);
        Assert.True(secondGap > firstGap + 0.5, $"the backoff doubles: {firstGap:F2} s then {secondGap:F2} s");

        var metadata = JsonDocument.Parse(await runtime.Client.GetStringAsync($"{runtime.Url("crashy")}/v1.0/metadata", ct)).RootElement;
        Assert.Equal("2", metadata.GetProperty("extended").GetProperty("appRestarts").GetString());
        var pid = int.Parse(metadata.GetProperty("extended").GetProperty("appPID").GetString()!, CultureInfo.InvariantCulture);
        Assert.False(System.Diagnostics.Process.GetProcessById(pid).HasExited);
        using var health = await runtime.Client.GetAsync($"{runtime.Url("crashy")}/v1.0/healthz", ct);
        Assert.Equal(HttpStatusCode.NoContent, health.StatusCode);
    }

    [Fact]
    public async Task Stopping_the_runtime_terminates_the_app()
    {
        var ct = TestContext.Current.CancellationToken;
        var runtime = await InProcessRuntime.StartSleeperAsync(ct);
        await runtime.WaitHealthyAsync(ct);
        using var process = await runtime.AppProcessAsync("sleeper", ct);

        await runtime.DisposeAsync();

        Assert.True(process.HasExited);
    }

    [Fact]
    public async Task Processes_an_app_started_that_left_its_tree_are_stopped_with_it_when_it_exits_and_when_the_runtime_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        LeftBehindProcess? first = null, second = null;
        try
        {
            // Each run of the app leaves a sleep behind, outside its tree; the first run then exits as if it had crashed.
            await using (var runtime = await InProcessRuntime.StartAsync($$"""
                version: 1
                apps:
                  - appID: spawner
                    appDirPath: ./apps/spawner
                    command: ["sh", "-c", "n=$(ls | grep -c '^left-[0-9]$'); {{LeftBehindProcess.StartCommand("left-$n")}}; if [ $n -eq 0 ]; then exit 3; fi; exec sleep 300"]
                """, cancellationToken: ct))
            {
                var folder = Path.Combine(runtime.Folder, "apps", "spawner");
                first = await LeftBehindProcess.ReadAsync(Path.Combine(folder, "left-0"), ct);
                second = await LeftBehindProcess.ReadAsync(Path.Combine(folder, "left-1"), ct);

                Assert.False(first.IsRunning, "the crashed run's process is stopped before the app starts again");
                Assert.True(second.IsRunning);
            }

            Assert.False(second.IsRunning, "the running app's process is stopped with it");
        }
        finally
        {
            first?.Kill();
            second?.Kill();
        }
    }

    [Fact]
    public async Task Stopping_does_not_wait_for_ever_on_a_process_the_app_left_behind_holding_its_output()
    {
        var ct = TestContext.Current.CancellationToken;
        // The subshell starts sleep in a session of its own and exits: sleep is outside the app's tree and its process
        // group, so nothing stops it with the app, and it holds the app's stdout. The app ignores SIGTERM and is killed
        // after the grace.
        var runtime = await InProcessRuntime.StartAsync($$"""
            version: 1
            apps:
              - appID: leaver
                appDirPath: ./apps/leaver
                command: ["sh", "-c", "trap '' TERM; {{LeftBehindProcess.StartCommand("left", ownSession: true)}}; while true; do sleep 1; done"]
            """, cancellationToken: ct);
        var left = await LeftBehindProcess.ReadAsync(Path.Combine(runtime.Folder, "apps", "leaver", "left"), ct);
        try
        {
            using var app = await runtime.AppProcessAsync("leaver", ct);
            var stopping = Stopwatch.StartNew();

            await runtime.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30), ct);

            Assert.True(app.HasExited);
            Assert.True(stopping.Elapsed < AppProcess.GracePeriod + AppProcess.OutputDrainGrace + TimeSpan.FromSeconds(5),
                $"the stop took {stopping.Elapsed.TotalSeconds:0.0} s");
        }
        finally
        {
            left.Kill();
        }
    }

    [Fact]
    public void A_command_is_found_as_the_CLI_finds_it_on_PATH_and_a_missing_one_is_not()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "apps are looked up so only where they start through setsid");
        using var folder = new TempFolder();
        var script = folder.Write("script.sh", "#!/bin/sh\n");

        Assert.EndsWith("/sh", Executables.Find("sh"));
        Assert.Null(Executables.Find("no-such-command-anywhere"));
        Assert.Null(Executables.Find(script));   // not executable
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        Assert.Equal(script, Executables.Find(script));
        Assert.Null(Executables.Find(Path.Combine(folder.Path, "missing.sh")));
        // A server looked up by name outside PATH (mosquitto in /usr/sbin): the folders given are searched after PATH.
        Assert.Null(Executables.Find("script.sh"));
        Assert.Equal(script, Executables.Find("script.sh", folder.Path));
    }
}
