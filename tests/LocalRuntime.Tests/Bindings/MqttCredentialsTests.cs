using System.Diagnostics;
using System.Net;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>Credentials in the component URL, against a private broker that refuses anonymous clients.</summary>
public sealed class MqttCredentialsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task The_user_and_url_encoded_password_in_the_url_log_in_and_a_wrong_password_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = Directory.CreateTempSubdirectory("mqtt-auth-test-").FullName;
        try
        {
            var passwords = Path.Combine(directory, "passwords");
            using (var tool = Process.Start("mosquitto_passwd", ["-b", "-c", passwords, "bulb-service", "s3cr:et@x"])!)
                await tool.WaitForExitAsync(ct);
            if (!OperatingSystem.IsWindows())
            {
                // mosquitto started as root drops to its own user, which must be able to read the file.
                File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
                File.SetUnixFileMode(passwords, (UnixFileMode)0b110_100_100);
            }
            await using var broker = await MosquittoBrokerProcess.StartAsync(ct, $"allow_anonymous false\npassword_file {passwords}\n");
            await using var app = await BindingTestApp.StartAsync([("/bulbs", AppRoute.PostOnly)], ct);
            await using var sidecar = await BindingsSidecar.StartAsync(
            [
                BindingsSidecar.Mqtt("bulbs", "dapriot/lightbulb/+/state", ("url", $"tcp://bulb-service:s3cr%3Aet%40x@127.0.0.1:{broker.Port}")),
                BindingsSidecar.Mqtt("intruder", "dapriot/lightbulb/+/cmd",
                    ("url", $"tcp://bulb-service:guess@127.0.0.1:{broker.Port}"), ("direction", "output")),
            ], app, ct);

            using var published = await sidecar.InvokeAsync("bulbs",
                new { data = "hi", metadata = new { topic = "dapriot/lightbulb/b1/state" }, operation = "create" }, ct);
            Assert.Equal(HttpStatusCode.NoContent, published.StatusCode);
            await Poll.UntilAsync(() => app.Accepted.Count == 1, "delivery through an authenticated consumer", Timeout);

            using var refused = await sidecar.InvokeAsync("intruder", new { data = "hi", operation = "create" }, ct);
            Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
            var (_, message) = await BindingsSidecar.ReadErrorAsync(refused, ct);
            Assert.Contains("failed to create producer connection", message);
            Assert.Contains("not authorized", message);
            Assert.DoesNotContain("guess", string.Join("\n", sidecar.Log.Lines));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
