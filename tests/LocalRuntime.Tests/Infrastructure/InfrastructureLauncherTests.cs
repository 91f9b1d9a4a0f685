using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Hosting;
using DaprIoT.LocalRuntime.Infrastructure;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Infrastructure;

public sealed class InfrastructureLauncherTests : IDisposable
{
    private readonly TempFolder _data = new();

    public void Dispose() => _data.Dispose();

    private static ComponentSpec Component(string type, params (string Key, string Value)[] metadata) =>
        new($"c-{Guid.NewGuid():N}", type, "v1", metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.OrdinalIgnoreCase), [], false, "test.yaml");

    [Fact]
    public async Task Redis_and_mosquitto_are_started_on_free_loopback_ports_and_stopped_on_dispose()
    {
        var ct = TestContext.Current.CancellationToken;
        var redisPort = FreePorts.Next();
        var mqttPort = FreePorts.Next();
        var launcher = new InfrastructureLauncher(_data.Path, NullLogger.Instance);

        await launcher.EnsureAsync([
            Component("state.redis", ("redisHost", $"127.0.0.1:{redisPort}")),
            Component("pubsub.redis", ("redisHost", $"localhost:{redisPort}")),
            Component("bindings.mqtt3", ("url", $"tcp://127.0.0.1:{mqttPort}"), ("topic", "t"), ("consumerID", "c")),
        ], ct);

        Assert.True(await FreePorts.IsListeningAsync("127.0.0.1", redisPort, ct));
        Assert.True(await FreePorts.IsListeningAsync("127.0.0.1", mqttPort, ct));
        Assert.Equal(2, launcher.StartedPorts.Count);
        Assert.True(Directory.Exists(Path.Combine(_data.Path, $"redis-{redisPort}")));

        await launcher.DisposeAsync();

        Assert.False(await FreePorts.IsListeningAsync("127.0.0.1", redisPort, ct));
        Assert.False(await FreePorts.IsListeningAsync("127.0.0.1", mqttPort, ct));
    }

    [Fact]
    public async Task A_server_runs_in_a_process_group_of_its_own_and_the_next_run_stops_it_when_this_one_was_killed()
    {
        var ct = TestContext.Current.CancellationToken;
        var redisPort = FreePorts.Next();
        var ledger = await ProcessLedger.OpenAsync(_data.Path, AppProcess.GracePeriod, NullLogger.Instance, ct);
        var launcher = new InfrastructureLauncher(_data.Path, NullLogger.Instance, ledger);
        try
        {
            await launcher.EnsureAsync([Component("state.redis", ("redisHost", $"127.0.0.1:{redisPort}"))], ct);
            var record = Assert.Single(Directory.GetFiles(ProcessLedger.Folder(_data.Path), "*.json"));
            var redis = Assert.Single(JsonNode.Parse(File.ReadAllText(record))!["Processes"]!.AsArray())!;
            var pid = redis["Pid"]!.GetValue<int>();
            Assert.Equal($"redis on port {redisPort}", redis["Name"]!.GetValue<string>());
            // Its own group: the terminal's Ctrl-C, sent to dapr-local's group, does not reach it.
            Assert.Equal(pid, ProcessStat.Read(pid)!.Value.ProcessGroup);
            Assert.NotEqual(ProcessStat.Read(Environment.ProcessId)!.Value.ProcessGroup, pid);

            ProcessLedgerTests.MarkRuntimeGone(record);
            using var next = await ProcessLedger.OpenAsync(_data.Path, AppProcess.GracePeriod, NullLogger.Instance, ct);

            Assert.Null(ProcessStat.StartTicksOf(pid));
            Assert.False(await FreePorts.IsListeningAsync("127.0.0.1", redisPort, ct));
        }
        finally
        {
            await launcher.DisposeAsync();
            ledger.Dispose();
        }
    }

    [Fact]
    public async Task RabbitMQ_registers_with_a_port_mapper_of_its_own_and_both_stop_on_dispose()
    {
        var ct = TestContext.Current.CancellationToken;
        var amqpPort = FreePorts.Next();
        var launcher = new InfrastructureLauncher(_data.Path, NullLogger.Instance);
        int mapperPort;
        try
        {
            await launcher.EnsureAsync([Component("pubsub.rabbitmq", ("connectionString", $"amqp://guest:guest@127.0.0.1:{amqpPort}"))], ct);

            Assert.Equal(2, launcher.StartedPorts.Count);
            mapperPort = Assert.Single(launcher.StartedPorts, p => p != amqpPort);
            Assert.Contains($"name dapr-local-{amqpPort} at port", await PortMapperNamesAsync(mapperPort, ct));
            Assert.True(await FreePorts.IsListeningAsync("127.0.0.1", amqpPort, ct));
        }
        finally
        {
            await launcher.DisposeAsync();
        }

        Assert.False(await FreePorts.IsListeningAsync("127.0.0.1", amqpPort, ct));
        Assert.False(await FreePorts.IsListeningAsync("127.0.0.1", mapperPort, ct));
    }

    private static async Task<string> PortMapperNamesAsync(int port, CancellationToken ct)
    {
        var info = new System.Diagnostics.ProcessStartInfo("epmd") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-port", $"{port}", "-names" }) info.ArgumentList.Add(arg);
        using var epmd = System.Diagnostics.Process.Start(info)!;
        var names = await epmd.StandardOutput.ReadToEndAsync(ct);
        await epmd.WaitForExitAsync(ct);
        return names;
    }

    [Fact]
    public async Task Servers_already_listening_or_on_other_hosts_are_left_alone()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var app = await RecordingApp.StartAsync(cancellationToken: ct);
        await using var launcher = new InfrastructureLauncher(_data.Path, NullLogger.Instance);

        await launcher.EnsureAsync([
            Component("state.redis", ("redisHost", $"127.0.0.1:{app.Port}")),
            Component("pubsub.rabbitmq", ("connectionString", "amqp://guest:guest@rabbit.example:5672")),
        ], ct);

        Assert.Empty(launcher.StartedPorts);
    }

    [Fact]
    public void The_server_a_component_needs_is_read_from_its_metadata()
    {
        Assert.Equal(("redis", "127.0.0.1", 6380), Need(Component("pubsub.redis", ("redisHost", "127.0.0.1:6380"))));
        Assert.Equal(("redis", "localhost", 6379), Need(Component("state.redis", ("redisHost", "localhost"))));
        Assert.Equal(("mosquitto", "localhost", 1884), Need(Component("bindings.mqtt3", ("url", "tcp://user:pw@localhost:1884"))));
        Assert.Equal(("rabbitmq", "127.0.0.1", 5673), Need(Component("pubsub.rabbitmq", ("connectionString", "amqp://guest:guest@127.0.0.1:5673/"))));
        Assert.Null(InfrastructureLauncher.NeedOf(Component("state.in-memory")));

        static (string, string, int) Need(ComponentSpec c) => InfrastructureLauncher.NeedOf(c) is { } n ? (n.Kind, n.Host, n.Port) : default;
    }
}
