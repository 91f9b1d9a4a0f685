using System.Text.Json;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>
/// The shared Mosquitto on 127.0.0.1:1883 that deploy/local/infra.sh starts. It is the platform's broker, which refuses
/// anonymous clients, so the tests log in as its admin user (may publish and read every topic) with the password infra.sh
/// writes to .dapr-local/secrets/mqtt.json. A broker without authentication, started by someone else, ignores it.
/// </summary>
public static class SharedMosquitto
{
    public const string Username = "admin";

    private static readonly Lazy<string> AdminPassword = new(ReadPassword);

    public static string Password => AdminPassword.Value;

    /// <summary>A <c>bindings.mqtt3</c> url with the admin's credentials.</summary>
    public static string Url => $"tcp://{Username}:{Password}@127.0.0.1:1883";

    private static string ReadPassword()
    {
        var file = Path.Combine(RepositoryPaths.Root, ".dapr-local", "secrets", "mqtt.json");
        if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: run deploy/local/infra.sh start");
        using var secrets = JsonDocument.Parse(File.ReadAllBytes(file));
        return secrets.RootElement.GetProperty("mqtt-admin-password").GetString()!;
    }
}
