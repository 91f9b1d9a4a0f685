using System.Globalization;
using System.Text.Json;

namespace DaprIoT.TestSupport;

/// <summary>
/// The platform's broker logins for one test platform, written where <c>dapr-local</c> keeps them
/// (<c>.dapr-local/secrets/mqtt.json</c> in the run folder, which the <c>platform-secrets</c> component reads from the
/// apps' folders). Written before the runtime starts, its URLs name the platform's own broker port, so the runtime
/// starts Mosquitto there (<c>--infra auto</c>) with these passwords.
/// </summary>
public static class BrokerLogins
{
    public const string SecretsFile = ".dapr-local/secrets/mqtt.json";

    private static readonly string[] Users = ["admin", "lightbulb", "sousvide"];

    /// <summary>One password per user and test run: the tests only need them to differ from everything else.</summary>
    private static readonly Dictionary<string, string> Passwords = Users.ToDictionary(u => u, _ => Guid.NewGuid().ToString("N"));

    public static string Password(string user) => Passwords[user];

    public static string Json(int brokerPort)
    {
        var secrets = new Dictionary<string, string>();
        foreach (var user in Users)
        {
            secrets[$"mqtt-{user}-password"] = Passwords[user];
            secrets[$"mqtt-{user}-url"] = $"tcp://{user}:{Passwords[user]}@127.0.0.1:{brokerPort.ToString(CultureInfo.InvariantCulture)}";
        }

        return JsonSerializer.Serialize(secrets);
    }
}
