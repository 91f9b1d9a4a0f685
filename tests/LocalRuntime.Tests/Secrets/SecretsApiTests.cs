using System.Net;
using System.Text.Json.Nodes;
using Dapr;
using Dapr.Client;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Tests.Secrets;

/// <summary>The secrets API on both doors, over <c>secretstores.local.file</c> and <c>secretstores.local.env</c>.</summary>
public sealed class SecretsApiTests
{
    private const string RunFile = """
        version: 1
        common: { resourcesPaths: [./resources] }
        apps:
          - appID: vault
            appDirPath: ./apps/vault
        """;

    private static Dictionary<string, string> Stores(string envPrefix) => new()
    {
        ["file.yaml"] = """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: filestore }
            spec:
              type: secretstores.local.file
              version: v1
              metadata:
                - { name: secretsFile, value: ./secrets.json }
            """,
        ["env.yaml"] = $$"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: envstore }
            spec:
              type: secretstores.local.env
              version: v1
              metadata:
                - { name: prefix, value: "{{envPrefix}}" }
            """,
    };

    private static readonly Dictionary<string, string> Files = new()
    {
        // Relative to the app's folder, the working directory of its sidecar.
        ["apps/vault/secrets.json"] = """{"signing-key":"k-123","db":{"user":"iot","port":5432}}""",
    };

    [Fact]
    public async Task Secrets_are_served_over_http_and_grpc_from_a_file_and_the_environment()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = $"DAPRIOT_TEST_{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "token", "t-456");
        try
        {
            await using var runtime = await InProcessRuntime.StartAsync(RunFile, Stores(prefix), files: Files, cancellationToken: ct);
            await runtime.WaitHealthyAsync(ct);
            using var dapr = new DaprClientBuilder()
                .UseGrpcEndpoint($"http://127.0.0.1:{runtime.Sidecar("vault").Settings.GrpcPort}")
                .UseHttpEndpoint(runtime.Url("vault"))
                .Build();

            var overHttp = JsonNode.Parse(await runtime.Client.GetStringAsync($"{runtime.Url("vault")}/v1.0/secrets/filestore/signing-key", ct))!;
            var bulkOverHttp = JsonNode.Parse(await runtime.Client.GetStringAsync($"{runtime.Url("vault")}/v1.0/secrets/filestore/bulk", ct))!;
            var nested = await dapr.GetSecretAsync("filestore", "db:port", cancellationToken: ct);
            var bulk = await dapr.GetBulkSecretAsync("filestore", cancellationToken: ct);
            var fromEnvironment = await dapr.GetSecretAsync("envstore", "token", cancellationToken: ct);

            Assert.Equal("k-123", overHttp["signing-key"]!.GetValue<string>());
            Assert.Equal("iot", bulkOverHttp["db:user"]!["db:user"]!.GetValue<string>());
            Assert.Equal("5432", nested["db:port"]);
            Assert.Equal(["db:port", "db:user", "signing-key"], bulk.Keys.Order());
            Assert.Equal("t-456", fromEnvironment["token"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "token", null);
        }
    }

    [Fact]
    public async Task An_unknown_store_or_secret_answers_with_daprds_errors()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var runtime = await InProcessRuntime.StartAsync(RunFile, Stores("UNUSED_"), files: Files, cancellationToken: ct);
        await runtime.WaitHealthyAsync(ct);
        using var dapr = new DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{runtime.Sidecar("vault").Settings.GrpcPort}")
            .UseHttpEndpoint(runtime.Url("vault"))
            .Build();

        using var unknownStore = await runtime.Client.GetAsync($"{runtime.Url("vault")}/v1.0/secrets/nostore/x", ct);
        using var unknownSecret = await runtime.Client.GetAsync($"{runtime.Url("vault")}/v1.0/secrets/filestore/nothing", ct);
        var overGrpc = await Assert.ThrowsAsync<DaprException>(() => dapr.GetSecretAsync("nostore", "x", cancellationToken: ct));

        Assert.Equal(HttpStatusCode.Unauthorized, unknownStore.StatusCode);
        Assert.Equal("ERR_SECRET_STORE_NOT_FOUND", JsonNode.Parse(await unknownStore.Content.ReadAsStringAsync(ct))!["errorCode"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.InternalServerError, unknownSecret.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(overGrpc.InnerException).StatusCode);
    }

    [Fact]
    public async Task A_secrets_file_that_cannot_be_read_fails_start_naming_the_component_file()
    {
        var ct = TestContext.Current.CancellationToken;
        var failure = await Assert.ThrowsAsync<ConfigurationException>(() =>
            InProcessRuntime.StartAsync(RunFile, Stores("UNUSED_"), cancellationToken: ct));

        Assert.Contains("file.yaml", failure.Message);
        Assert.Contains("secretsFile", failure.Message);
    }
}
