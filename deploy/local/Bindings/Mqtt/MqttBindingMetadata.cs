using DaprIoT.LocalRuntime.Components;

namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// The <c>spec.metadata</c> of a <c>bindings.mqtt3</c> component, validated when the sidecar is created so a
/// mistake names its file and key instead of surfacing as a connection error later. Keys match
/// case-insensitively, as in daprd.
/// </summary>
public sealed record MqttBindingMetadata(
    string Host,
    int Port,
    bool UseTls,
    string? Username,
    string? Password,
    string Topic,
    string ConsumerId,
    bool Retain,
    bool CleanSession,
    int BackOffMaxRetries,
    string? CaCert,
    string? ClientCert,
    string? ClientKey,
    bool QosGiven)
{
    public string ConsumerClientId => ConsumerId + "-consumer";
    public string ProducerClientId => ConsumerId + "-producer";

    public static MqttBindingMetadata Parse(ComponentSpec component)
    {
        var url = Required(component, "url");
        var (host, port, useTls, username, password) = ParseUrl(component, Key(component, "url"), url);
        var topic = Required(component, "topic");
        var consumerId = Required(component, "consumerID");
        var retries = component.GetInt(Key(component, "backOffMaxRetries"), 0);
        if (retries < -1)
            throw component.Invalid(Key(component, "backOffMaxRetries"), $"'{retries}' is not -1 (retry forever), 0 or a positive number of retries");
        return new MqttBindingMetadata(
            host, port, useTls, username, password, topic, consumerId,
            Retain: component.GetBool(Key(component, "retain"), false),
            CleanSession: component.GetBool(Key(component, "cleanSession"), false),
            BackOffMaxRetries: retries,
            CaCert: Pem(component, "caCert", "a CA certificate"),
            ClientCert: Pem(component, "clientCert", "a client certificate"),
            ClientKey: Pem(component, "clientKey", "a client certificate key"),
            QosGiven: component.GetString(Key(component, "qos")) is not null);
    }

    private static (string Host, int Port, bool UseTls, string? Username, string? Password) ParseUrl(
        ComponentSpec component, string key, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw component.Invalid(key, $"'{Redact(url)}' is not a broker URL such as tcp://localhost:1883");
        // The schemes and aliases daprd's mqtt3 binding accepts.
        var useTls = uri.Scheme.ToLowerInvariant() switch
        {
            "tcp" or "mqtt" => false,
            "ssl" or "mqtts" or "tcps" or "tls" => true,
            _ => throw component.Invalid(key,
                $"scheme '{uri.Scheme}' is not supported; use tcp:// (or mqtt://) or ssl:// (or mqtts://, tcps://, tls://)"),
        };
        if (uri.Port < 0 || !url.Contains($":{uri.Port}", StringComparison.Ordinal))
            throw component.Invalid(key, $"'{Redact(url)}' has no port; write it as {uri.Scheme}://{uri.Host}:{(useTls ? 8883 : 1883)}");
        string? username = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':');
            username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            var rawPassword = colon < 0 ? "" : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            password = rawPassword.Length > 0 ? rawPassword : null;
        }
        return (uri.IdnHost, uri.Port, useTls, username, password);
    }

    private static string Redact(string url)
    {
        var at = url.IndexOf('@');
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? url[..(scheme + 3)] + "***@" + url[(at + 1)..] : url;
    }

    private static string? Pem(ComponentSpec component, string name, string what)
    {
        var key = Key(component, name);
        var value = component.GetString(key);
        if (value is null) return null;
        return value.Contains("-----BEGIN ", StringComparison.Ordinal) && value.Contains("-----END ", StringComparison.Ordinal)
            ? value
            : throw component.Invalid(key, $"is not {what} in PEM format (-----BEGIN …----- … -----END …-----)");
    }

    private static string Required(ComponentSpec component, string name)
    {
        var key = Key(component, name);
        return component.GetString(key) ?? throw component.Invalid(key, name == "consumerID"
            ? "is required: daprd does not default it for bindings; use a value unique per replica, e.g. \"{uuid}\" with cleanSession: \"true\""
            : "is required");
    }

    private static string Key(ComponentSpec component, string name) =>
        component.Metadata.Keys.FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase)) ?? name;
}
