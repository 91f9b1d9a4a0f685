// dapr-local: reads dapr.yaml like `dapr run -f`, starts every app and plays daprd's part for each of them.
using System.Globalization;
using System.Runtime.InteropServices;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Dashboard;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.Infrastructure;

if (CommandLine.Parse(args, out var usageError) is not { } commandLine)
{
    if (usageError is { Length: > 0 }) Console.Error.WriteLine($"dapr-local: {usageError}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

using var loggerFactory = LoggerFactory.Create(logging => logging
    .SetMinimumLevel(commandLine.LogLevel)
    .AddFilter("Microsoft", LogLevel.Warning)
    .AddSimpleConsole(console =>
    {
        console.SingleLine = true;
        console.TimestampFormat = "HH:mm:ss.fff ";
    }));

using var stop = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
// A closed terminal stops the run cleanly too: the apps, each in a process group of its own, do not get its hangup.
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => { context.Cancel = true; stop.Cancel(); });

RuntimeHost? runtime = null;
DashboardServer? dashboard = null;
try
{
    var runFile = RunFileLoader.Load(commandLine.RunFile);
    foreach (var warning in runFile.Warnings) Console.Error.WriteLine($"dapr-local: warning: {warning}");
    var dataDir = commandLine.DataDirectory ?? Path.Combine(runFile.Directory, ".dapr-local");
    runtime = new RuntimeHost(runFile, new RuntimeOptions(Path.GetFullPath(dataDir), commandLine.Infrastructure), loggerFactory);
    await runtime.StartAsync(stop.Token);
    foreach (var sidecar in runtime.Sidecars)
    {
        var s = sidecar.Settings;
        Console.WriteLine($"dapr-local: app '{s.App.AppId}' replica {s.App.Replica}: app port {s.App.AppPort?.ToString(CultureInfo.InvariantCulture) ?? "none"}, " +
            $"sidecar HTTP port {s.HttpPort}, gRPC port {s.GrpcPort}, metrics port {s.MetricsPort}");
    }
    if (commandLine.DashboardPort is { } dashboardPort)
    {
        dashboard = await DashboardServer.StartAsync(runtime.Sidecars, dashboardPort, stop.Token);
        Console.WriteLine($"dapr-local: dashboard at {dashboard.Address}");
    }
    Console.WriteLine("dapr-local: all sidecars are listening; press Ctrl-C to stop");
    await Task.WhenAny(runtime.Completion, Task.Delay(Timeout.Infinite, stop.Token)).ContinueWith(_ => { }, CancellationToken.None);
    Console.WriteLine("dapr-local: stopping");
    return 0;
}
catch (ConfigurationException e)
{
    Console.Error.WriteLine($"dapr-local: configuration error: {e.Message}");
    return 1;
}
catch (InfrastructureException e)
{
    Console.Error.WriteLine($"dapr-local: {e.Message}");
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}
finally
{
    if (dashboard is not null) await dashboard.DisposeAsync();
    if (runtime is not null) await runtime.DisposeAsync();
}
