using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>How one sidecar is set up: its app entry, the ports it was given and the tokens in the app's environment.</summary>
public sealed record SidecarSettings(
    AppDefinition App,
    int HttpPort,
    int GrpcPort,
    int MetricsPort,
    string? DaprApiToken,
    string? AppApiToken,
    DaprConfiguration Configuration);
