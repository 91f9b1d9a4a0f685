using System.Diagnostics;
using System.Net;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Hosting;

namespace DaprIoT.LocalRuntime.Infrastructure;

/// <summary>
/// <c>--infra auto</c>, the local counterpart of <c>dapr init</c>: for each component that needs Redis, Mosquitto or
/// RabbitMQ on a loopback address where nothing listens yet, starts the Debian binary on that port with its data
/// under the runtime's data folder, waits until it accepts connections, and stops it again on exit (RabbitMQ with an
/// Erlang port mapper of its own, see <see cref="StartPortMapperAsync"/>).
/// Mosquitto is the platform's broker, set up by <c>platform-broker.sh</c> as <c>infra.sh</c> sets it up: the
/// dynamic-security plugin, no anonymous clients, and the platform's credentials in <see cref="SecretsFile"/>.
/// Each server runs in a process group of its own (<see cref="OwnProcessGroup"/>), so the terminal's Ctrl-C does not
/// stop it under the apps still stopping, and is recorded in the run's <see cref="ProcessLedger"/>, so a later run stops
/// it if this one is killed.
/// </summary>
public sealed partial class InfrastructureLauncher(string dataDirectory, ILogger logger, ProcessLedger? ledger = null) : IAsyncDisposable
{
    private readonly List<(Need Need, Process Process, bool OwnGroup)> _started = [];

    /// <summary>A server a component needs: which kind, where.</summary>
    public sealed record Need(string Kind, string Host, int Port, ComponentSpec Component);

    /// <summary>The port of the URLs written to a new secrets file before the components are loaded (their
    /// <c>secretKeyRef</c>s read that file); starting Mosquitto on another port rewrites them for that port.</summary>
    public const int PlatformBrokerPort = 1883;

    /// <summary>The platform's MQTT credentials (<c>mqtt-admin-url</c>, <c>mqtt-lightbulb-url</c>, ...), for a
    /// <c>secretstores.local.file</c> component; <c>.dapr-local/secrets/mqtt.json</c> by default.</summary>
    public string SecretsFile => Path.Combine(dataDirectory, "secrets", "mqtt.json");

    /// <summary>The ports of the servers this launcher started (and will stop).</summary>
    public IReadOnlyList<int> StartedPorts => _started.Select(s => s.Need.Port).ToList();

    public static Need? NeedOf(ComponentSpec component)
    {
        switch (component.Type)
        {
            case "state.redis" or "pubsub.redis":
                var redisHost = component.GetString("redisHost");
                if (redisHost is null) return null;
                return Split(redisHost.Split(',')[0], 6379) is var (h, p) ? new Need("redis", h, p, component) : null;
            case "bindings.mqtt3":
                if (component.GetString("url") is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var mqtt)) return null;
                if (mqtt.Scheme is not ("tcp" or "mqtt")) return null;
                return new Need("mosquitto", mqtt.Host, mqtt.Port > 0 ? mqtt.Port : 1883, component);
            case "pubsub.rabbitmq":
                var connection = component.GetString("connectionString") ?? component.GetString("host");
                if (connection is not null && Uri.TryCreate(connection, UriKind.Absolute, out var amqp) && amqp.Scheme == "amqp")
                    return new Need("rabbitmq", amqp.Host, amqp.Port > 0 ? amqp.Port : 5672, component);
                if (connection is null && component.GetString("hostname") is { } hostname)
                    return new Need("rabbitmq", hostname, 5672, component);
                return null;
            default:
                return null;
        }
    }

    /// <summary>Writes <see cref="SecretsFile"/> if it is missing (keeping the passwords of one that exists), so
    /// that components can take the broker's credentials through <c>secretKeyRef</c> before the broker first starts.</summary>
    public Task EnsureSecretsAsync(CancellationToken cancellationToken) =>
        RunBrokerScriptAsync(["secrets", SecretsFile, $"{PlatformBrokerPort}"], cancellationToken);

    public async Task EnsureAsync(IEnumerable<ComponentSpec> components, CancellationToken cancellationToken)
    {
        foreach (var need in components.Select(NeedOf).OfType<Need>().DistinctBy(n => (n.Kind, n.Port)))
        {
            if (!IsLoopback(need.Host)) continue;
            if (await FreePorts.IsListeningAsync("127.0.0.1", need.Port, cancellationToken))
            {
                if (need.Kind == "mosquitto") ForeignBroker(logger, need.Port, SecretsFile);
                continue;
            }
            await StartAsync(need, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (need, process, ownGroup) in Enumerable.Reverse(_started))
        {
            if (!process.HasExited)
            {
                ProcessSignals.TerminateWithGroup(process.Id, ownGroup);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try { await process.WaitForExitAsync(timeout.Token); }
                catch (OperationCanceledException)
                {
                    if (ownGroup) ProcessSignals.KillGroup(process.Id);
                    process.Kill(entireProcessTree: true);
                }
            }
            Stopped(logger, need.Kind, need.Port);
            ledger?.Exited(process.Id);
            process.Dispose();
        }
        _started.Clear();
    }

    private async Task StartAsync(Need need, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(dataDirectory, $"{need.Kind}-{need.Port}");
        Directory.CreateDirectory(folder);
        var (binary, package) = need.Kind switch
        {
            "redis" => ("redis-server", "redis-server"),
            "mosquitto" => ("mosquitto", "mosquitto"),
            _ => ("rabbitmq-server", "rabbitmq-server"),
        };
        // As root, Debian's rabbitmq-server wrapper switches to the rabbitmq user, who cannot write our data folder;
        // the script behind it runs the broker as the current user.
        var direct = need.Kind == "rabbitmq" && File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server") ? "/usr/lib/rabbitmq/bin/rabbitmq-server" : null;
        var path = direct ?? FindBinary(binary) ?? throw new InfrastructureException(
            $"component '{need.Component.Name}' ({need.Component.SourceFile}) needs {need.Kind} on {need.Host}:{need.Port}, nothing listens there, " +
            $"and '{binary}' is not installed: install the Debian package ({package}: sudo apt-get install {package}), start it yourself, or run with --infra none");

        var info = ServerStartInfo(path, folder);
        switch (need.Kind)
        {
            case "redis":
                foreach (var arg in new[] { "--port", $"{need.Port}", "--bind", "127.0.0.1", "--dir", folder, "--appendonly", "yes", "--save", "", "--daemonize", "no" })
                    info.ArgumentList.Add(arg);
                break;
            case "mosquitto":
                await RunBrokerScriptAsync(["config", folder, $"{need.Port}", SecretsFile], cancellationToken);
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add(Path.Combine(folder, "mosquitto.conf"));
                break;
            default:
                var plugins = Path.Combine(folder, "enabled_plugins");
                await File.WriteAllTextAsync(plugins, "[].\n", cancellationToken);
                info.Environment["RABBITMQ_NODE_PORT"] = $"{need.Port}";
                info.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                info.Environment["RABBITMQ_NODENAME"] = $"dapr-local-{need.Port}@localhost";
                info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(folder, "mnesia");
                info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(folder, "log");
                info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins;
                info.Environment["RABBITMQ_DIST_PORT"] = $"{need.Port + 20000}";
                info.Environment["ERL_EPMD_PORT"] = $"{await StartPortMapperAsync(need, folder, cancellationToken)}";
                break;
        }

        await LaunchAsync(need, info, binary, folder, need.Kind == "rabbitmq" ? TimeSpan.FromSeconds(90) : TimeSpan.FromSeconds(15), cancellationToken);
    }

    /// <summary>
    /// Starts the Erlang port mapper a RabbitMQ node registers with, on a free port of its own, as one more server of
    /// this run: left to itself the node would start the machine's shared <c>epmd -daemon</c>, which leaves its process
    /// group and outlives the run. Returns the port, for the node's <c>ERL_EPMD_PORT</c>.
    /// </summary>
    private async Task<int> StartPortMapperAsync(Need rabbitmq, string folder, CancellationToken cancellationToken)
    {
        var path = FindBinary("epmd") ?? throw new InfrastructureException(
            $"component '{rabbitmq.Component.Name}' ({rabbitmq.Component.SourceFile}) needs rabbitmq, and Erlang's 'epmd' is not installed: " +
            "install the Debian package (rabbitmq-server: sudo apt-get install rabbitmq-server), start RabbitMQ yourself, or run with --infra none");
        var need = new Need("epmd", "127.0.0.1", FreePorts.Next(), rabbitmq.Component);
        var info = ServerStartInfo(path, folder);
        // In the foreground (no -daemon), so it stays in the process group it is started in and stops with it.
        foreach (var arg in new[] { "-port", $"{need.Port}", "-address", "127.0.0.1" }) info.ArgumentList.Add(arg);
        await LaunchAsync(need, info, "epmd", folder, TimeSpan.FromSeconds(15), cancellationToken);
        return need.Port;
    }

    private static ProcessStartInfo ServerStartInfo(string path, string folder)
    {
        var info = OwnProcessGroup.StartInfo(path);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = folder;
        return info;
    }

    /// <summary>Starts a server, records it (to stop it on dispose, and in the ledger), and waits until it accepts connections.</summary>
    private async Task LaunchAsync(Need need, ProcessStartInfo info, string binary, string folder, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        Starting(logger, need.Kind, need.Port, folder);
        var process = Process.Start(info) ?? throw new InfrastructureException($"could not start {binary}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) ServerOutput(logger, need.Kind, line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _started.Add((need, process, OwnProcessGroup.Available));
        ledger?.Started(process.Id, $"{need.Kind} on port {need.Port}", OwnProcessGroup.Available);

        var deadline = DateTimeOffset.UtcNow + startTimeout;
        while (!await FreePorts.IsListeningAsync("127.0.0.1", need.Port, cancellationToken))
        {
            if (process.HasExited)
                throw new InfrastructureException($"{binary} exited with code {process.ExitCode} while starting on port {need.Port} (data in {folder})");
            if (DateTimeOffset.UtcNow > deadline)
                throw new InfrastructureException($"{binary} did not accept connections on port {need.Port} in time (data in {folder})");
            await Task.Delay(100, cancellationToken);
        }
        Started(logger, need.Kind, need.Port);
    }

    /// <summary>Runs <c>platform-broker.sh</c>, shipped next to the runtime (the same script <c>infra.sh</c> runs).</summary>
    private static async Task RunBrokerScriptAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "platform-broker.sh");
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add(script);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InfrastructureException($"could not run {script}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InfrastructureException($"{script} {string.Join(' ', arguments)} failed (exit code {process.ExitCode}): {(await error).Trim()} {(await output).Trim()}");
    }

    private static (string Host, int Port)? Split(string hostPort, int fallbackPort)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon < 0) return (hostPort, fallbackPort);
        return int.TryParse(hostPort[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? (hostPort[..colon].Trim('[', ']'), port)
            : null;
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>
    /// A server's executable: on PATH, or in the system folders Debian installs servers to, which an ordinary user's
    /// PATH may leave out (mosquitto is in /usr/sbin).
    /// </summary>
    private static string? FindBinary(string name) =>
        Executables.Find(name, "/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin");

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting {Kind} on 127.0.0.1:{Port} (data in {Folder})")]
    private static partial void Starting(ILogger logger, string kind, int port, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} is accepting connections on 127.0.0.1:{Port}")]
    private static partial void Started(ILogger logger, string kind, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped {Kind} on 127.0.0.1:{Port}")]
    private static partial void Stopped(ILogger logger, string kind, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A broker dapr-local did not start listens on 127.0.0.1:{Port}; it is used as it is, and the platform's MQTT users and roles ({SecretsFile}) may be missing from it")]
    private static partial void ForeignBroker(ILogger logger, int port, string secretsFile);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind}: {Line}")]
    private static partial void ServerOutput(ILogger logger, string kind, string line);
}
