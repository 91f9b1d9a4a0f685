using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaprIoT.DeviceTwins.Model;

namespace DaprIoT.DeviceTwins.Broker;

/// <summary>
/// Devices' broker logins, kept by Mosquitto's dynamic-security plugin and changed at run time by publishing its
/// control commands to <c>$CONTROL/dynamic-security/v1</c> through the device service's MQTT output binding (its
/// broker user may do that and nothing more). A device logs in with client id = username = its device id; its role
/// lets it publish only its own reports and read only its own commands. Each change is one message: the plugin runs
/// a message's commands in order, so a re-provisioning deletes the old login and creates the new one at once.
/// </summary>
public sealed class BrokerAccounts(DeviceCommandSender sender)
{
    public const string ControlTopic = "$CONTROL/dynamic-security/v1";

    /// <summary>The dynamic-security role every device of a type has (created with the broker, see deploy/local).</summary>
    public static string DeviceRole(DeviceModel model) => $"{model.TypeName}-device";

    /// <summary>A new random password: 24 bytes, base64url, shown to the user once.</summary>
    public static string NewPassword() => Base64Url(RandomNumberGenerator.GetBytes(24));

    public Task CreateDeviceAsync(DeviceModel model, string deviceId, string password) =>
        sender.PublishAsync(model, ControlTopic, Commands(
            new JsonObject { ["command"] = "deleteClient", ["username"] = deviceId },
            new JsonObject
            {
                ["command"] = "createClient",
                ["username"] = deviceId,
                ["clientid"] = deviceId,
                ["password"] = password,
                ["roles"] = new JsonArray(new JsonObject { ["rolename"] = DeviceRole(model) }),
            }));

    /// <summary>Deletes the login; the plugin disconnects a client whose login is deleted.</summary>
    public Task DeleteDeviceAsync(DeviceModel model, string deviceId) =>
        sender.PublishAsync(model, ControlTopic, Commands(new JsonObject { ["command"] = "deleteClient", ["username"] = deviceId }));

    private static byte[] Commands(params JsonObject[] commands) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["commands"] = new JsonArray(commands) });

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
