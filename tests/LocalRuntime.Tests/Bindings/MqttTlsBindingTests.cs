using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

public sealed class MqttTlsBindingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_ssl_url_with_an_inline_CA_certificate_carries_both_directions_over_TLS()
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("mqtt-tls-test-").FullName;
        try
        {
            var (caPem, certFile, keyFile, caFile, _, _) = WriteCertificates(directory);
            await using var broker = await MosquittoBrokerProcess.StartAsync(ct, $"cafile {caFile}\ncertfile {certFile}\nkeyfile {keyFile}\n");
            await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
            await using var sidecar = await BindingsSidecar.StartAsync(
                [BindingsSidecar.Mqtt("bulbs", "dapriot/lightbulb/+/state", ("url", $"ssl://127.0.0.1:{broker.Port}"), ("caCert", caPem))], app, ct);
            Assert.True(sidecar.Feature.ConsumerOf("bulbs")!.IsConnected, string.Join("\n", broker.Output));

            // The output binding publishes, over its own TLS connection, into the input binding's subscription.
            var response = await sidecar.InvokeAsync("bulbs",
                new { data = new { on = true }, metadata = new { topic = "dapriot/lightbulb/b1/state" }, operation = "create" }, ct);

            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            await Poll.UntilAsync(() => app.Accepted.Count == 1, "delivery over TLS", Timeout);
            Assert.Equal("{\"on\":true}", app.Accepted.Single().Text);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_broker_certificate_from_an_unknown_CA_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("mqtt-tls-test-").FullName;
        try
        {
            var (_, certFile, keyFile, caFile, _, _) = WriteCertificates(directory);
            var (_, _, _, otherCaFile, _, _) = WriteCertificates(Directory.CreateDirectory(Path.Combine(directory, "other")).FullName);
            await using var broker = await MosquittoBrokerProcess.StartAsync(ct, $"cafile {caFile}\ncertfile {certFile}\nkeyfile {keyFile}\n");
            await using var client = new MqttConnection(new MqttConnectionOptions
            {
                Host = "127.0.0.1", Port = broker.Port, ClientId = $"tls-{Guid.NewGuid():N}", CleanSession = true,
                Tls = new MqttTlsOptions(File.ReadAllText(otherCaFile), null, null),
            }, NullLogger.Instance);

            await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync(TimeSpan.FromSeconds(1.5), ct));
            Assert.Equal(0, client.ConnectCount);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_broker_requiring_client_certificates_accepts_the_inline_clientCert_and_clientKey_and_refuses_a_client_without()
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("mqtt-tls-test-").FullName;
        try
        {
            var (caPem, certFile, keyFile, caFile, clientCertPem, clientKeyPem) = WriteCertificates(directory);
            await using var broker = await MosquittoBrokerProcess.StartAsync(ct,
                $"cafile {caFile}\ncertfile {certFile}\nkeyfile {keyFile}\nrequire_certificate true\n");
            await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
            var url = ("url", $"ssl://127.0.0.1:{broker.Port}");
            await using var sidecar = await BindingsSidecar.StartAsync(
            [
                BindingsSidecar.Mqtt("bulbs", "dapriot/lightbulb/+/state", url, ("caCert", caPem), ("clientCert", clientCertPem), ("clientKey", clientKeyPem)),
                BindingsSidecar.Mqtt("anonymous", "dapriot/lightbulb/+/cmd", url, ("caCert", caPem), ("direction", "output")),
            ], app, ct);

            using var published = await sidecar.InvokeAsync("bulbs",
                new { data = "on", metadata = new { topic = "dapriot/lightbulb/b1/state" }, operation = "create" }, ct);
            Assert.Equal(HttpStatusCode.NoContent, published.StatusCode);
            await Poll.UntilAsync(() => app.Accepted.Count == 1, "delivery over mutual TLS", Timeout);

            using var refused = await sidecar.InvokeAsync("anonymous", new { data = "on", operation = "create" }, ct);
            Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
            var (_, message) = await BindingsSidecar.ReadErrorAsync(refused, ct);
            Assert.Contains("failed to create producer connection", message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (string CaPem, string CertFile, string KeyFile, string CaFile, string ClientCertPem, string ClientKeyPem) WriteCertificates(
        string directory)
    {
        // ECDSA keys: generated in microseconds, where RSA takes seconds on a busy machine.
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=DaprIoT test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(2));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        using var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddHours(1), [1, 2, 3, 4]);

        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientRequest = new CertificateRequest("CN=bulb-service", clientKey, HashAlgorithmName.SHA256);
        clientRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false)); // client auth
        using var client = clientRequest.Create(ca, now.AddMinutes(-5), now.AddHours(1), [5, 6, 7, 8]);

        var caPem = ca.ExportCertificatePem();
        var caFile = Path.Combine(directory, "ca.pem");
        var certFile = Path.Combine(directory, "server.pem");
        var keyFile = Path.Combine(directory, "server.key");
        File.WriteAllText(caFile, caPem);
        File.WriteAllText(certFile, server.ExportCertificatePem());
        File.WriteAllText(keyFile, serverKey.ExportPkcs8PrivateKeyPem());
        // mosquitto started as root drops to its own user, which must be able to read a throwaway test key.
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            File.SetUnixFileMode(directory, readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            foreach (var file in new[] { caFile, certFile, keyFile }) File.SetUnixFileMode(file, readable);
        }
        return (caPem, certFile, keyFile, caFile, client.ExportCertificatePem(), clientKey.ExportPkcs8PrivateKeyPem());
    }
}
