using System.Collections.Concurrent;
using System.Text.Json;
using DaprIoT.Contracts;
using DaprIoT.Contracts.Events;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.Live;
using DaprIoT.TestSupport;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>A browser's connection to a replica's device hub, recording what the server sends in order.</summary>
public sealed class HubClient : IAsyncDisposable
{
    /// <summary>A message from the server: a snapshot or a change.</summary>
    public sealed record Received(DeviceList? Snapshot, DeviceEvent? Change);

    private readonly ConcurrentQueue<Received> _received = new();

    private HubClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<DeviceList>(LiveConnections.SnapshotMethod, snapshot => _received.Enqueue(new Received(snapshot, null)));
        connection.On<DeviceEvent>(LiveConnections.DeviceChangedMethod, change => _received.Enqueue(new Received(null, change)));
    }

    public HubConnection Connection { get; }

    public IReadOnlyList<Received> Messages => [.. _received];

    public IEnumerable<DeviceEvent> Changes(string deviceId) => Messages.Select(m => m.Change).OfType<DeviceEvent>().Where(c => c.DeviceId == deviceId);

    public static HubConnection Build(string replicaUrl, string? token) =>
        new HubConnectionBuilder()
            .WithUrl($"{replicaUrl}{DeviceHub.Path}", options =>
            {
                if (token is not null) options.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .AddJsonProtocol(options => options.PayloadSerializerOptions = new JsonSerializerOptions(ContractJson.Options))
            .Build();

    /// <summary>A client whose connection the test starts itself.</summary>
    public static HubClient Unstarted(string replicaUrl, string token) => new(Build(replicaUrl, token));

    /// <summary>Connects and waits for the snapshot.</summary>
    public static async Task<HubClient> ConnectAsync(string replicaUrl, string token)
    {
        var client = new HubClient(Build(replicaUrl, token));
        await client.Connection.StartAsync(TestContext.Current.CancellationToken);
        await client.UntilAsync(messages => messages.Count > 0, "the snapshot arrives");
        return client;
    }

    public Task<IReadOnlyList<Received>> UntilAsync(Func<IReadOnlyList<Received>, bool> done, string what) =>
        Eventually.UntilAsync(_ => Task.FromResult(Messages), done, what,
            messages => string.Join("\n", messages.Select(m => m.Snapshot is { } s
                ? $"snapshot [{string.Join(", ", s.Devices.Select(d => $"{d.DeviceId} v{d.Version}"))}]"
                : $"deviceChanged {m.Change!.DeviceId} v{m.Change.Version} [{string.Join(", ", m.Change.Changes)}]")),
            TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
