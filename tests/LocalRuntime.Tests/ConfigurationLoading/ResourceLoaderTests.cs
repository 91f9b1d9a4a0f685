using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.PubSub;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Tests.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.ConfigurationLoading;

public sealed class ResourceLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ResourceSet Load(string? @namespace = null) =>
        new ResourceLoader(NullLogger.Instance, @namespace).Load([_folder.Path]);

    private ConfigurationException LoadFails(string fileName, string yaml)
    {
        var file = _folder.Write(fileName, yaml);
        var error = Assert.Throws<ConfigurationException>(() => Load());
        Assert.Equal(file, error.File);
        return error;
    }

    [Fact]
    public void Components_subscriptions_and_resiliency_are_read_from_multi_document_files()
    {
        _folder.Write("all.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: statestore }
            spec:
              type: state.in-memory
              version: v1
              initTimeout: 10s
              ignoreErrors: true
              metadata:
                - { name: actorStateStore, value: true }
                - { name: keyPrefix, value: name }
            scopes: [orders]
            ---
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata: { name: telemetry-sub }
            spec:
              pubsubname: pubsub
              topic: telemetry
              routes:
                rules: [ { match: 'event.type == "alarm"', path: /alarms } ]
                default: /telemetry
              metadata: { rawPayload: "true" }
              deadLetterTopic: telemetry-dlq
            scopes: [stats]
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Subscription
            metadata: { name: old-style }
            spec: { pubsubname: pubsub, topic: orders, route: /orders }
            ---
            apiVersion: dapr.io/v1alpha1
            kind: HTTPEndpoint
            metadata: { name: ignored }
            """);
        _folder.Write("resiliency.yml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: { name: platform }
            scopes: [orders]
            spec:
              policies:
                timeouts: { general: 5s }
                retries:
                  retry5xx: { policy: exponential, maxInterval: 15s, maxRetries: 5 }
                  pubsubRetry: { policy: constant, duration: 2s }
              targets:
                apps:
                  stats: { timeout: general, retry: retry5xx }
                actors:
                  Device: { retry: retry5xx }
                components:
                  pubsub:
                    inbound: { retry: pubsubRetry, timeout: general }
                    outbound: { retry: pubsubRetry }
            """);

        var set = Load();

        var store = Assert.Single(set.Components);
        Assert.Equal(("statestore", "state.in-memory", "v1", true), (store.Name, store.Type, store.Version, store.IgnoreErrors));
        Assert.Equal(TimeSpan.FromSeconds(10), store.InitTimeout);
        Assert.Equal("true", store.Metadata["actorStateStore"]);
        Assert.Equal("name", store.GetString("KEYPREFIX"));
        Assert.Empty(set.ComponentsFor("stats"));
        Assert.Single(set.ComponentsFor("orders"));

        Assert.Equal(2, set.Subscriptions.Count);
        var v2 = set.Subscriptions[0];
        Assert.Equal(SubscriptionKind.Declarative, v2.Kind);
        Assert.Equal(("pubsub", "telemetry", "/telemetry", "telemetry-dlq"), (v2.PubsubName, v2.Topic, v2.DefaultPath, v2.DeadLetterTopic));
        Assert.Equal([new SubscriptionRule("event.type == \"alarm\"", "/alarms")], v2.Rules);
        Assert.True(v2.RawPayload);
        Assert.Equal(["stats"], v2.Scopes);
        Assert.Equal("/orders", set.Subscriptions[1].DefaultPath);
        Assert.Single(set.SubscriptionsFor("orders"));

        var resiliency = set.ResiliencyFor("orders");
        var app = resiliency.ForApp("stats")!;
        Assert.Equal(TimeSpan.FromSeconds(5), app.Timeout);
        Assert.Equal(new RetryPolicy("retry5xx", RetryBackoff.Exponential, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), 5), app.Retry);
        Assert.Equal(RetryBackoff.Constant, resiliency.ForComponentInbound("pubsub")!.Retry!.Backoff);
        Assert.Equal(-1, resiliency.ForComponentOutbound("pubsub")!.Retry!.MaxRetries);
        Assert.NotNull(resiliency.ForActorType("Device"));
        Assert.Same(ResiliencySpec.Empty, set.ResiliencyFor("stats"));
    }

    [Fact]
    public void A_configuration_reads_tracing_features_and_access_control()
    {
        var file = _folder.Write("config.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata: { name: appconfig }
            spec:
              tracing: { samplingRate: "1" }
              features:
                - { name: HotReload, enabled: true }
                - { name: Other, enabled: false }
              accessControl:
                defaultAction: deny
                policies:
                  - appId: frontend
                    defaultAction: deny
                    operations:
                      - { name: /orders/*, httpVerb: [GET], action: allow }
                      - { name: /admin/**, httpVerb: ["*"], action: allow }
            """);

        var config = ResourceLoader.LoadConfiguration(file);

        Assert.Equal(1.0, config.SamplingRate);
        Assert.Equal(["HotReload"], config.EnabledFeatures);
        var acl = config.AccessControl!;
        Assert.True(acl.IsAllowed("frontend", "GET", "orders/42"));
        Assert.False(acl.IsAllowed("frontend", "POST", "orders/42"));
        Assert.False(acl.IsAllowed("frontend", "GET", "orders/42/lines"));
        Assert.True(acl.IsAllowed("frontend", "DELETE", "/admin/a/b"));
        Assert.False(acl.IsAllowed("frontend", "GET", "/other"));
        Assert.False(acl.IsAllowed("stranger", "GET", "/orders/1"));
    }

    [Fact]
    public void Manifests_of_another_namespace_are_skipped_when_namespace_is_set()
    {
        _folder.Write("a.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: mine, namespace: dev }
            spec: { type: state.in-memory, version: v1, metadata: [] }
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: theirs, namespace: prod }
            spec: { type: state.in-memory, version: v1, metadata: [] }
            """);

        Assert.Equal(["mine"], Load("dev").Components.Select(c => c.Name));
        Assert.Equal(2, Load().Components.Count);
    }

    [Fact]
    public void An_unknown_component_type_names_the_file_and_spec_type()
    {
        var error = LoadFails("c.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: store }
            spec: { type: state.cosmosdb, version: v1 }
            """);

        Assert.Equal("spec.type", error.Field);
        Assert.Contains("state.cosmosdb", error.Problem);
    }

    [Fact]
    public void A_component_without_a_name_is_rejected()
    {
        var error = LoadFails("c.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { namespace: x }
            spec: { type: state.in-memory, version: v1 }
            """);

        Assert.Equal("metadata.name", error.Field);
    }

    [Fact]
    public void A_secret_key_ref_without_a_supported_secret_store_says_so()
    {
        var error = LoadFails("c.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: store }
            spec:
              type: state.in-memory
              version: v1
              metadata:
                - name: redisPassword
                  secretKeyRef: { name: redis-secret, key: password }
            """);

        Assert.Equal("spec.metadata[0].secretKeyRef", error.Field);
        Assert.Contains("secret stores are not supported", error.Problem);
    }

    [Fact]
    public void A_secret_key_ref_is_read_from_the_environment_through_a_local_env_secret_store()
    {
        var variable = $"DAPR_LOCAL_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, "s3cret");
        try
        {
            _folder.Write("c.yaml", $$"""
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: { name: envsecrets }
                spec: { type: secretstores.local.env, version: v1, metadata: [] }
                ---
                apiVersion: dapr.io/v1alpha1
                kind: Component
                metadata: { name: store }
                spec:
                  type: state.in-memory
                  version: v1
                  metadata:
                    - name: password
                      secretKeyRef: { name: {{variable}}, key: {{variable}} }
                auth: { secretStore: envsecrets }
                """);

            Assert.Equal("s3cret", Load().Components.Single(c => c.Name == "store").Metadata["password"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private const string FileStoreAndBinding = """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: { name: mqtt-secrets }
        spec:
          type: secretstores.local.file
          version: v1
          metadata:
            - { name: secretsFile, value: ../secrets/mqtt.json }
        ---
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata: { name: bulbs }
        spec:
          type: bindings.mqtt3
          version: v1
          metadata:
            - name: url
              secretKeyRef: { name: mqtt-lightbulb-url, key: mqtt-lightbulb-url }
            - { name: topic, value: dapriot/lightbulb/+/+ }
        auth: { secretStore: mqtt-secrets }
        scopes: [lightbulb]
        """;

    [Fact]
    public void A_secret_key_ref_is_read_from_a_local_file_secret_store_relative_to_the_apps_folder()
    {
        _folder.Write("secrets/mqtt.json", """{"mqtt-lightbulb-url": "tcp://lightbulb:pw@127.0.0.1:1883"}""");
        _folder.Write("components/c.yaml", FileStoreAndBinding);
        var app = _folder.Folder("app");

        var set = new ResourceLoader(NullLogger.Instance).Load([Path.Combine(_folder.Path, "components")], "lightbulb", app);

        Assert.Equal("tcp://lightbulb:pw@127.0.0.1:1883", set.Components.Single(c => c.Name == "bulbs").Metadata["url"]);
    }

    [Fact]
    public void A_secret_key_ref_in_a_component_the_app_may_not_use_is_not_resolved()
    {
        // No secrets file: resolving would fail, and must not be tried for an app outside the component's scopes.
        var file = _folder.Write("components/c.yaml", FileStoreAndBinding);
        var components = Path.Combine(_folder.Path, "components");

        var set = new ResourceLoader(NullLogger.Instance).Load([components], "demo-devices", _folder.Folder("app"));

        Assert.DoesNotContain(set.ComponentsFor("demo-devices"), c => c.Name == "bulbs");
        var error = Assert.Throws<ConfigurationException>(() => new ResourceLoader(NullLogger.Instance).Load([components], "lightbulb", _folder.Folder("app")));
        Assert.Equal(file, error.File);
        Assert.Equal("component 'mqtt-secrets' spec.metadata.secretsFile", error.Field);
        Assert.Contains(Path.Combine(_folder.Path, "secrets", "mqtt.json"), error.Problem);
    }

    [Fact]
    public void A_file_secret_store_nests_with_its_separator_and_multi_valued_secrets_are_picked_by_key()
    {
        _folder.Write("secrets.json", """{"mqtt": {"lightbulb": {"url": "tcp://a", "password": "p"}}, "port": 1883}""");
        _folder.Write("c.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: nested }
            spec:
              type: secretstores.local.file
              version: v1
              metadata: [{ name: secretsFile, value: secrets.json }, { name: nestedSeparator, value: "." }]
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: multi }
            spec:
              type: secretstores.local.file
              version: v1
              metadata: [{ name: secretsFile, value: secrets.json }, { name: multiValued, value: "true" }]
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: flat }
            spec:
              type: state.in-memory
              version: v1
              metadata:
                - { name: url, secretKeyRef: { name: mqtt.lightbulb.url } }
                - { name: port, secretKeyRef: { name: port, key: port } }
            auth: { secretStore: nested }
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: picked }
            spec:
              type: state.in-memory
              version: v1
              metadata:
                - { name: password, secretKeyRef: { name: mqtt, key: "lightbulb:password" } }
            auth: { secretStore: multi }
            """);

        var set = new ResourceLoader(NullLogger.Instance).Load([_folder.Path], appDirectory: _folder.Path);

        Assert.Equal("tcp://a", set.Components.Single(c => c.Name == "flat").Metadata["url"]);
        Assert.Equal("1883", set.Components.Single(c => c.Name == "flat").Metadata["port"]);
        Assert.Equal("p", set.Components.Single(c => c.Name == "picked").Metadata["password"]);
    }

    [Fact]
    public void A_secret_or_key_missing_from_the_secrets_file_names_the_file_and_the_field()
    {
        _folder.Write("secrets/mqtt.json", """{"mqtt-sousvide-url": "tcp://sousvide:pw@127.0.0.1:1883"}""");
        var file = _folder.Write("components/c.yaml", FileStoreAndBinding);

        var error = Assert.Throws<ConfigurationException>(() =>
            new ResourceLoader(NullLogger.Instance).Load([Path.Combine(_folder.Path, "components")], "lightbulb", _folder.Folder("app")));

        Assert.Equal(file, error.File);
        Assert.Equal("spec.metadata[0].secretKeyRef", error.Field);
        Assert.Contains($"secret 'mqtt-lightbulb-url' is not in {Path.Combine(_folder.Path, "secrets", "mqtt.json")} (secret store 'mqtt-secrets')", error.Problem);
    }

    [Fact]
    public void A_metadata_value_that_is_a_mapping_is_rejected()
    {
        var error = LoadFails("c.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: store }
            spec:
              type: state.in-memory
              version: v1
              metadata:
                - { name: keyPrefix, value: { nested: true } }
            """);

        Assert.Equal("spec.metadata[0].value", error.Field);
    }

    [Fact]
    public void A_duplicate_component_name_is_rejected()
    {
        _folder.Write("a.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: store }\nspec: { type: state.in-memory, version: v1 }\n");
        var error = LoadFails("b.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: store }\nspec: { type: state.in-memory, version: v1 }\n");

        Assert.Contains("also defined", error.Problem);
    }

    [Fact]
    public void A_resiliency_target_naming_a_missing_policy_is_rejected()
    {
        var error = LoadFails("r.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: { name: r }
            spec:
              policies: { retries: { a: { policy: constant } } }
              targets: { apps: { orders: { retry: b } } }
            """);

        Assert.Equal("spec.targets.apps.orders.retry", error.Field);
        Assert.Contains("'b'", error.Problem);
    }

    [Fact]
    public void A_retry_policy_with_a_bad_duration_is_rejected()
    {
        var error = LoadFails("r.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata: { name: r }
            spec:
              policies: { retries: { a: { policy: constant, duration: soon } } }
            """);

        Assert.Equal("spec.policies.retries.a.duration", error.Field);
    }

    [Fact]
    public void A_v2_subscription_without_routes_is_rejected()
    {
        var error = LoadFails("s.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata: { name: s }
            spec: { pubsubname: pubsub, topic: t }
            """);

        Assert.Equal("spec.routes", error.Field);
    }

    [Fact]
    public void Malformed_yaml_in_a_resource_file_names_the_file()
    {
        var error = LoadFails("broken.yaml", "kind: Component\nmetadata: { name: x\n");

        Assert.Contains("malformed YAML at line", error.Problem);
    }

    [Theory]
    [InlineData("apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: s", "line 4, column 1")]
    [InlineData("kind: Component\nspec:\n  metadata: [ { name: a, value: b }, { name: c", "line 4, column 1")]
    [InlineData("kind: Component\nmetadata: [ a, b", "line 3, column 1")]
    public void A_flow_collection_left_open_at_the_end_of_the_file_names_the_file_and_line(string yaml, string position)
    {
        var error = LoadFails("unclosed.yaml", yaml);

        Assert.Equal("(yaml)", error.Field);
        Assert.StartsWith($"malformed YAML at {position}: ", error.Problem);
        Assert.Contains("did not find expected", error.Problem);
    }
}
