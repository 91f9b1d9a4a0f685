using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Model;

namespace DaprIoT.DeviceTwins.Broker;

/// <summary>
/// Devices' broker logins, kept by Mosquitto's dynamic-security plugin and changed at run time by publishing its
/// control commands to <c>$CONTROL/dynamic-security/v1</c> through the device service's MQTT output binding (the
/// service's broker user may publish there). A device logs in with client id = username = its device id. Mosquitto
/// 2.0 does not substitute the client id in ACL topics, so each device gets a role of its own, <c>device-{id}</c>,
/// that lets it publish only its own reports and subscribe only to its own commands. Each change is one message: the
/// plugin runs a message's commands in order, so provisioning removes any earlier login and creates the new one at
/// once (a "not found" from the removal of a login that never existed is harmless).
/// </summary>
/// <remarks>
/// The plugin writes its whole configuration file after every control message, so a message per device would cost
/// time growing with the number of devices for each one added. Changes are therefore committed in groups: a change
/// waits while one message is on its way, and the next message carries every change that waited, in order. A lone
/// change goes out at once. Each caller's task completes when the message carrying its change has reached the broker.
/// </remarks>
public sealed class BrokerAccounts(DeviceCommandSender sender)
{
    private readonly ConcurrentQueue<Change> _waiting = new();
    private readonly SemaphoreSlim _sending = new(1, 1);

    public const string ControlTopic = "$CONTROL/dynamic-security/v1";

    public static string DeviceRole(string deviceId) => $"device-{deviceId}";

    /// <summary>A new random password: 24 bytes, base64url, shown to the user once.</summary>
    public static string NewPassword() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    public Task CreateDeviceAsync(DeviceModel model, string deviceId, string password)
    {
        var acls = new JsonArray();
        foreach (var kind in new[] { MessageKind.State, MessageKind.Telemetry, MessageKind.Ack, MessageKind.Presence })
            acls.Add(Acl("publishClientSend", new DeviceTopic(model.Type, deviceId, kind).ToString()));
        acls.Add(Acl("subscribeLiteral", new DeviceTopic(model.Type, deviceId, MessageKind.Cmd).ToString()));
        return SubmitAsync(model, deviceId,
        [
            .. Removal(deviceId),
            new JsonObject { ["command"] = "createRole", ["rolename"] = DeviceRole(deviceId), ["acls"] = acls },
            new JsonObject
            {
                ["command"] = "createClient",
                ["username"] = deviceId,
                ["clientid"] = deviceId,
                ["password"] = password,
                ["roles"] = new JsonArray(new JsonObject { ["rolename"] = DeviceRole(deviceId) }),
            },
        ]);
    }

    /// <summary>Deletes the login and its role; the plugin disconnects a client whose login is deleted.</summary>
    public Task DeleteDeviceAsync(DeviceModel model, string deviceId) => SubmitAsync(model, deviceId, Removal(deviceId));

    /// <summary>
    /// What each command carries as <c>correlationData</c>, which the plugin echoes in its answer: the device type and
    /// id, so <see cref="BrokerResponses"/> can tell its own answers from other services' and name the device.
    /// </summary>
    public static string Correlation(DeviceModel model, string deviceId) => $"{model.TypeName}/{deviceId}";

    private async Task SubmitAsync(DeviceModel model, string deviceId, JsonObject[] commands)
    {
        foreach (var command in commands) command["correlationData"] = Correlation(model, deviceId);
        var change = new Change(commands);
        _waiting.Enqueue(change);
        await _sending.WaitAsync();
        try
        {
            // Whoever holds the gate sends everything that waited, its own change included unless an earlier holder
            // already took it.
            var batch = new List<Change>();
            while (_waiting.TryDequeue(out var waiting)) batch.Add(waiting);
            if (batch.Count > 0)
            {
                try
                {
                    await sender.PublishAsync(model, ControlTopic, Commands([.. batch.SelectMany(c => c.Commands)]));
                    foreach (var sent in batch) sent.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    foreach (var failed in batch) failed.Done.TrySetException(e);
                }
            }
        }
        finally
        {
            _sending.Release();
        }

        await change.Done.Task;
    }

    private static JsonObject[] Removal(string deviceId) =>
    [
        new() { ["command"] = "deleteClient", ["username"] = deviceId },
        new() { ["command"] = "deleteRole", ["rolename"] = DeviceRole(deviceId) },
    ];

    private sealed record Change(JsonObject[] Commands)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static JsonObject Acl(string type, string topic) => new() { ["acltype"] = type, ["topic"] = topic, ["allow"] = true };

    private static byte[] Commands(JsonObject[] commands) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["commands"] = new JsonArray(commands) });
}
