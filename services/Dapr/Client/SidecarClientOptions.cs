using System.Text.Json;

namespace DaprIoT.Dapr.Client;

/// <summary>Where the sidecar listens and how to talk to it. Filled from DAPR_HTTP_PORT and DAPR_API_TOKEN by <see cref="SidecarClientRegistration.AddDaprSidecarClient"/>.</summary>
public sealed class SidecarClientOptions
{
    public const int DefaultHttpPort = 3500;

    public int HttpPort { get; set; } = DefaultHttpPort;

    /// <summary>Sent as <c>dapr-api-token</c> on every request when set (daprd started with DAPR_API_TOKEN).</summary>
    public string? ApiToken { get; set; }

    /// <summary>How application data (state values, event payloads, actor arguments) is serialized.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");
}
