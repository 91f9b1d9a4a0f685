namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>
/// <c>dapr-local [run] -f &lt;dapr.yaml or folder&gt; [--infra auto|none] [--data-dir &lt;folder&gt;] [--log-level &lt;level&gt;] [--dashboard-port &lt;port&gt;]</c>,
/// shaped like <c>dapr run -f</c>.
/// </summary>
public sealed record CommandLine(string RunFile, InfrastructureMode Infrastructure, string? DataDirectory, LogLevel LogLevel, int? DashboardPort)
{
    public const string Usage =
        "usage: dapr-local [run] -f <dapr.yaml or folder containing dapr.yaml> [--infra auto|none] [--data-dir <folder>] [--log-level debug|info|warn|error] [--dashboard-port <port>]";

    /// <summary>Parses the arguments, or returns null and an error to print with <see cref="Usage"/>.</summary>
    public static CommandLine? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        string? file = null, dataDir = null;
        var infra = InfrastructureMode.Auto;
        var level = LogLevel.Information;
        int? dashboardPort = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (i == 0 && arg == "run") continue;
            string? Value()
            {
                if (i + 1 < args.Count) return args[++i];
                return null;
            }
            switch (arg)
            {
                case "-f" or "--run-file" or "--file":
                    file = Value();
                    if (file is null) { error = $"{arg} needs a file or folder"; return null; }
                    break;
                case "--infra":
                    switch (Value())
                    {
                        case "auto": infra = InfrastructureMode.Auto; break;
                        case "none": infra = InfrastructureMode.None; break;
                        case var other: error = $"--infra must be auto or none, not '{other}'"; return null;
                    }
                    break;
                case "--data-dir":
                    dataDir = Value();
                    if (dataDir is null) { error = "--data-dir needs a folder"; return null; }
                    break;
                case "--log-level":
                    var name = Value();
                    LogLevel? parsed = name switch
                    {
                        "debug" => LogLevel.Debug,
                        "info" => LogLevel.Information,
                        "warn" => LogLevel.Warning,
                        "error" => LogLevel.Error,
                        _ => null,
                    };
                    if (parsed is null) { error = $"--log-level must be debug, info, warn or error, not '{name}'"; return null; }
                    level = parsed.Value;
                    break;
                case "--dashboard-port":
                    var port = Value();
                    if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number > 65535)
                    {
                        error = $"--dashboard-port must be a port number, not '{port}'";
                        return null;
                    }
                    dashboardPort = number;
                    break;
                case "-h" or "--help":
                    error = "";
                    return null;
                default:
                    error = $"unknown argument '{arg}'";
                    return null;
            }
        }
        if (file is null) { error = "-f is required"; return null; }
        return new CommandLine(file, infra, dataDir, level, dashboardPort);
    }
}
