namespace DaprIoT.LocalRuntime.Bindings.Mqtt;

/// <summary>
/// PEM text for a TLS connection, as daprd takes it inline from the component. Without a CA certificate the
/// operating system's trust store is used; the client certificate is sent only when both it and its key are given.
/// </summary>
public sealed record MqttTlsOptions(string? CaCertificatePem, string? ClientCertificatePem, string? ClientKeyPem);
