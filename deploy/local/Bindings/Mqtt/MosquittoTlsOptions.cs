namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>PEM files for a TLS connection. Without a CA file the operating system's trust store is used.</summary>
public sealed record MosquittoTlsOptions(string? CaFile, string? CertFile, string? KeyFile);
