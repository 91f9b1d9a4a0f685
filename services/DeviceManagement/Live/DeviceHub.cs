using System.Text.Json;
using DaprIoT.DeviceManagement.Api;
using DaprIoT.DeviceManagement.Devices;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace DaprIoT.DeviceManagement.Live;

/// <summary>
/// <c>/hubs/devices</c> (docs/device-api.md): a browser's live view of its user's devices. A connection gets
/// <c>snapshot</c> first, then <c>deviceChanged</c> for every version newer than it has; its methods check ownership
/// as the REST API does, and refuse with a <see cref="HubException"/> whose message names the fields at fault.
/// </summary>
[Authorize]
public sealed class DeviceHub(LiveConnections connections, Snapshots snapshots, DeviceOperations operations) : Hub
{
    public const string Path = "/hubs/devices";

    private string UserId => DevicesApi.UserId(Context.User!);

    public override async Task OnConnectedAsync()
    {
        // Joined before the snapshot is read, so no change falls between the two; changes wait until it is sent.
        var feed = connections.Join(UserId, Context.ConnectionId, Context.Abort);
        try
        {
            await feed.StartAsync(await snapshots.OfAsync(UserId, Context.ConnectionAborted), Context.ConnectionAborted);
        }
        catch
        {
            // SignalR closes the connection without OnDisconnectedAsync when OnConnectedAsync fails.
            connections.Leave(UserId, Context.ConnectionId);
            throw;
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Leave(UserId, Context.ConnectionId);
        return Task.CompletedTask;
    }

    /// <summary>The user's devices now; changes older than it are not sent afterwards.</summary>
    public async Task<DeviceList> GetSnapshot()
    {
        var snapshot = await snapshots.OfAsync(UserId, Context.ConnectionAborted);
        if (connections.Find(UserId, Context.ConnectionId) is { } feed) await feed.ObserveAsync(snapshot, Context.ConnectionAborted);
        return snapshot.List;
    }

    public async Task<CommandAccepted> SetDesired(string deviceId, JsonElement patch) =>
        Accepted(await operations.SetDesiredAsync(UserId, deviceId, patch, new FieldErrors(), Context.ConnectionAborted));

    public async Task<CommandAccepted> StartProgram(string deviceId, JsonElement program) =>
        Accepted(await operations.StartProgramAsync(UserId, deviceId, program, new FieldErrors(), Context.ConnectionAborted));

    public async Task<CommandAccepted> StopProgram(string deviceId) =>
        Accepted(await operations.StopProgramAsync(UserId, deviceId, Context.ConnectionAborted));

    private static CommandAccepted Accepted(Outcome<string> outcome) =>
        outcome.NotFound ? throw new HubException("device not found")
        : outcome.Errors is { } errors ? throw new HubException($"invalid request: {errors}")
        : new CommandAccepted(outcome.Value!);
}
