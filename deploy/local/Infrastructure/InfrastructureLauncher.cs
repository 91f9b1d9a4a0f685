using System.Diagnostics;
using System.Net;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Hosting;

namespace DaprIoT.LocalRuntime.Infrastructure;

/// <summary>
/// <c>--infra auto</c>, the local counterpart of <c>dapr init</c>: for each component that needs Redis, Mosquitto or
/// RabbitMQ on a loopback address where nothing listens yet, starts the Debian binary on that port with its data
/// under the runtime's data folder, waits until it accepts connections, and stops it again on exit.
/// </summary>
public sealed partial class InfrastructureLauncher(string dataDirectory, ILogger logger) : IAsyncDisposable
{
    private readonly List<(Need Need, Process Process)> _started = [];

    /// <summary>A server a component needs: which kind, where.</summary>
    public sealed record Need(string Kind, string Host, int Port, ComponentSpec Component);

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

    public async Task EnsureAsync(IEnumerable<ComponentSpec> components, CancellationToken cancellationToken)
    {
        foreach (var need in components.Select(NeedOf).OfType<Need>().DistinctBy(n => (n.Kind, n.Port)))
        {
            if (!IsLoopback(need.Host)) continue;
            if (await FreePorts.IsListeningAsync("127.0.0.1", need.Port, cancellationToken)) continue;
            await StartAsync(need, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (need, process) in Enumerable.Reverse(_started))
        {
            if (!process.HasExited)
            {
                ProcessSignals.Terminate(process.Id);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try { await process.WaitForExitAsync(timeout.Token); }
                catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
            }
            Stopped(logger, need.Kind, need.Port);
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

        var info = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        switch (need.Kind)
        {
            case "redis":
                foreach (var arg in new[] { "--port", $"{need.Port}", "--bind", "127.0.0.1", "--dir", folder, "--appendonly", "yes", "--save", "", "--daemonize", "no" })
                    info.ArgumentList.Add(arg);
                break;
            case "mosquitto":
                var config = Path.Combine(folder, "mosquitto.conf");
                await File.WriteAllTextAsync(config,
                    // `user`: started as root, mosquitto would switch to the mosquitto user, who cannot write the folder.
                    // `set_tcp_nodelay`: without it Nagle's algorithm holds back small packets (a publish waiting on the
                    // acknowledgement of the one before), which cuts a QoS 1 subscriber's rate several times over.
                    $"listener {need.Port} 127.0.0.1\nallow_anonymous true\nuser {Environment.UserName}\nset_tcp_nodelay true\npersistence true\npersistence_location {folder}/\n",
                    cancellationToken);
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add(config);
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
                break;
        }

        Starting(logger, need.Kind, need.Port, folder);
        var process = Process.Start(info) ?? throw new InfrastructureException($"could not start {binary}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) ServerOutput(logger, need.Kind, line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _started.Add((need, process));

        var deadline = DateTimeOffset.UtcNow + (need.Kind == "rabbitmq" ? TimeSpan.FromSeconds(90) : TimeSpan.FromSeconds(15));
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

    private static string? FindBinary(string name)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin", "/usr/local/sbin"]);
        return folders.Select(f => Path.Combine(f, name)).FirstOrDefault(File.Exists);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting {Kind} on 127.0.0.1:{Port} (data in {Folder})")]
    private static partial void Starting(ILogger logger, string kind, int port, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Kind} is accepting connections on 127.0.0.1:{Port}")]
    private static partial void Started(ILogger logger, string kind, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped {Kind} on 127.0.0.1:{Port}")]
    private static partial void Stopped(ILogger logger, string kind, int port);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind}: {Line}")]
    private static partial void ServerOutput(ILogger logger, string kind, string line);
}
