using System.Text.Json;

namespace DaprIoT.LocalRuntime.Tests;

/// <summary>
/// The shared Mosquitto on 127.0.0.1:1883 that deploy/local/infra.sh starts. It is the platform's broker, which refuses
/// anonymous clients, so tests log in as its admin user (may publish and read every topic) with the password infra.sh
/// writes to .dapr-local/secrets/mqtt.json. A broker without authentication, started by someone else, ignores it.
/// </summary>
public static class TestMqtt
{
    public const int SharedPort = 1883;
    public const string Username = "admin";

    private static readonly Lazy<string> AdminPassword = new(ReadPassword);

    public static string Password => AdminPassword.Value;

    /// <summary>A <c>bindings.mqtt3</c> url for the shared broker, with the admin's credentials.</summary>
    public static string SharedUrl => $"tcp://{Username}:{Password}@127.0.0.1:{SharedPort}";

    private static string ReadPassword()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "DaprIoT.sln"))) continue;
            var file = Path.Combine(dir.FullName, ".dapr-local", "secrets", "mqtt.json");
            if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: run deploy/local/infra.sh start");
            using var secrets = JsonDocument.Parse(File.ReadAllBytes(file));
            return secrets.RootElement.GetProperty("mqtt-admin-password").GetString()!;
        }
        throw new InvalidOperationException($"no DaprIoT.sln above {AppContext.BaseDirectory}");
    }
}
