using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Batching;
using DaprIoT.DeviceTwins.Model;

namespace DaprIoT.DeviceTwins.Broker;

/// <summary>
/// Devices' broker logins, kept by Mosquitto's dynamic-security plugin and changed at run time by publishing its
/// control commands to <c>$CONTROL/dynamic-security/v1</c> through the device service's MQTT output binding (the
/// service's broker user may publish there). A device logs in with client id = username = its device id. Mosquitto
/// 2.0 does not substitute the client id in ACL topics, so each device gets a role of its own, <c>device-{id}</c>,
/// that lets it publish only its own reports and subscribe only to its own commands. A change's commands travel in
/// one message, and the plugin runs a message's commands in order, so provisioning removes any earlier login and
/// creates the new one at once (a "not found" from the removal of a login that never existed is harmless).
/// </summary>
/// <remarks>
/// Changes are committed in groups (<see cref="GroupCommit{T}"/>, one message on its way at a time so the broker
/// applies them in order): a lone change goes out at once, and changes made while a message is on its way share the
/// next one, up to <see cref="MaxChangesPerMessage"/>. The plugin (Mosquitto 2.0) writes its whole configuration after
/// every command, on the broker's only thread, so a device added costs time growing with the devices already there,
/// and every other client waits meanwhile: measured on two cores, a write took 11 ms with 1,000 devices provisioned,
/// 28 ms with 2,000 and 97 ms with 4,000 (a new device costs two). Small messages keep each such stall short and
/// below the binding's publish timeout, and let the broker serve its devices between them.
/// </remarks>
public sealed class BrokerAccounts
{
    /// <summary>
    /// Changes in one control message at most: with 4,000 devices provisioned, ten new ones hold the broker about
    /// 2 s (see the remarks).
    /// </summary>
    private const int MaxChangesPerMessage = 10;

    private readonly DeviceCommandSender _sender;
    private readonly DeviceModel _model;
    private readonly GroupCommit<JsonObject[]> _changes;

    public BrokerAccounts(DeviceCommandSender sender, DeviceModel model)
    {
        _sender = sender;
        _model = model;
        _changes = new GroupCommit<JsonObject[]>(SendAsync, MaxChangesPerMessage, maxInFlight: 1);
    }

    public const string ControlTopic = "$CONTROL/dynamic-security/v1";

    public static string DeviceRole(string deviceId) => $"device-{deviceId}";

    /// <summary>A new random password: 24 bytes, base64url, shown to the user once.</summary>
    public static string NewPassword() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));

    public Task CreateDeviceAsync(string deviceId, string password)
    {
        var acls = new JsonArray();
        foreach (var kind in new[] { MessageKind.State, MessageKind.Telemetry, MessageKind.Ack, MessageKind.Presence })
            acls.Add(Acl("publishClientSend", new DeviceTopic(_model.Type, deviceId, kind).ToString()));
        acls.Add(Acl("subscribeLiteral", new DeviceTopic(_model.Type, deviceId, MessageKind.Cmd).ToString()));
        return SubmitAsync(deviceId,
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
    public Task DeleteDeviceAsync(string deviceId) => SubmitAsync(deviceId, Removal(deviceId));

    /// <summary>
    /// What each command carries as <c>correlationData</c>, which the plugin echoes in its answer: the device type and
    /// id, so <see cref="BrokerResponses"/> can tell its own answers from other services' and name the device.
    /// </summary>
    public static string Correlation(DeviceModel model, string deviceId) => $"{model.TypeName}/{deviceId}";

    /// <summary>Completes when the message carrying the change has reached the broker.</summary>
    private Task SubmitAsync(string deviceId, JsonObject[] commands)
    {
        foreach (var command in commands) command["correlationData"] = Correlation(_model, deviceId);
        return _changes.SubmitAsync(commands);
    }

    private Task SendAsync(IReadOnlyList<JsonObject[]> changes) =>
        _sender.PublishAsync(_model, ControlTopic,
            JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["commands"] = new JsonArray([.. changes.SelectMany(commands => commands)]) }));

    private static JsonObject[] Removal(string deviceId) =>
    [
        new() { ["command"] = "deleteClient", ["username"] = deviceId },
        new() { ["command"] = "deleteRole", ["rolename"] = DeviceRole(deviceId) },
    ];

    private static JsonObject Acl(string type, string topic) => new() { ["acltype"] = type, ["topic"] = topic, ["allow"] = true };
}
