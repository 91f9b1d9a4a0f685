using System.Globalization;
using DaprIoT.LocalRuntime.Sidecar;

namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// Runs one replica's app and keeps its sidecar in step with it: start the command, run the sidecar's startup
/// sequence, and when the app exits unexpectedly stop the sidecar's features and restart the app with
/// exponential backoff (1 s doubling to 30 s, back to 1 s after a minute of healthy running). An app without a
/// command is not started: its sidecar waits for whatever listens on its app port, as the CLI allows.
/// </summary>
public sealed partial class AppSupervisor(SidecarHost sidecar, IReadOnlyDictionary<string, string> env, string displayName,
    ProcessLedger ledger, ILogger logger)
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan HealthyRun = TimeSpan.FromMinutes(1);

    public int Restarts { get; private set; }

    /// <summary>Runs until <paramref name="stopping"/> is cancelled or the sidecar is shut down through its API.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, sidecar.ShutdownRequested);
        var token = linked.Token;
        var app = sidecar.Settings.App;
        if (app.Command.Count == 0)
        {
            await StartupAsync(token);
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
            }
            await sidecar.AppStoppedAsync(CancellationToken.None);
            return;
        }

        var backoff = InitialBackoff;
        while (!token.IsCancellationRequested)
        {
            AppProcess process;
            try
            {
                process = AppProcess.Start(app, displayName, env, ledger, logger);
            }
            catch (AppStartException e)
            {
                AppCannotStart(logger, e.Message, backoff.TotalSeconds);
                if (!await DelayAsync(backoff, token)) break;
                backoff = Next(backoff);
                continue;
            }
            sidecar.Extended["appPID"] = process.Pid.ToString(CultureInfo.InvariantCulture);
            sidecar.Extended["appRestarts"] = Restarts.ToString(CultureInfo.InvariantCulture);
            AppStarted(logger, displayName, process.Pid, string.Join(' ', app.Command));

            using var appLifetime = CancellationTokenSource.CreateLinkedTokenSource(token);
            var startup = StartupAsync(appLifetime.Token);
            var exitOrStop = await Task.WhenAny(process.Exited, Task.Delay(Timeout.Infinite, token));
            await appLifetime.CancelAsync();
            await startup;
            await sidecar.AppStoppedAsync(CancellationToken.None);
            if (exitOrStop != process.Exited)
            {
                await process.DisposeAsync();
                break;
            }

            // An app that exits as the runtime is being stopped (a signal sent to every process, or Ctrl-C where the app
            // shares the terminal's process group, see AppProcess): let the runtime's own stop win over a restart.
            if (!await DelayAsync(TimeSpan.FromMilliseconds(200), token))
            {
                await process.DisposeAsync();
                break;
            }
            var exitCode = await process.Exited;
            var ranFor = DateTimeOffset.UtcNow - process.StartedAt;
            await process.DisposeAsync();
            if (ranFor >= HealthyRun) backoff = InitialBackoff;
            AppExited(logger, displayName, exitCode, backoff.TotalSeconds);
            if (!await DelayAsync(backoff, token)) break;
            backoff = Next(backoff);
            Restarts++;
        }
    }

    private async Task StartupAsync(CancellationToken appLifetime)
    {
        try
        {
            await sidecar.RunStartupSequenceAsync(appLifetime);
        }
        catch (OperationCanceledException) when (appLifetime.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The sidecar stays up (outbound health, its APIs); only this app run never becomes ready.
            StartupFailed(logger, e, displayName);
        }
    }

    private static TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken token)
    {
        try
        {
            await Task.Delay(delay, token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started app {App} (pid {Pid}): {Command}")]
    private static partial void AppStarted(ILogger logger, string app, int pid, string command);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App {App} exited with code {ExitCode}; restarting in {Seconds} s")]
    private static partial void AppExited(ILogger logger, string app, int exitCode, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The sidecar of {App} could not complete its startup sequence")]
    private static partial void StartupFailed(ILogger logger, Exception exception, string app);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem}; retrying in {Seconds} s")]
    private static partial void AppCannotStart(ILogger logger, string problem, double seconds);
}
