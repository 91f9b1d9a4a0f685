using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Bindings;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

public sealed class MqttBindingMetadataTests
{
    private static ComponentSpec Component(params (string Key, string Value)[] metadata) =>
        new("devices", "bindings.mqtt3", "v1", metadata.ToDictionary(m => m.Key, m => m.Value), [], false, "/app/components/devices.yaml");

    private static readonly (string, string)[] Valid = [("url", "tcp://127.0.0.1:1883"), ("topic", "dapriot/+/state"), ("consumerID", "bulbs")];

    [Fact]
    public void A_full_url_yields_host_port_and_url_decoded_credentials()
    {
        var metadata = MqttBindingMetadata.Parse(Component(
            ("url", "mqtts://dev%40ice:p%3Ass@broker.example:8883"), ("topic", "t"), ("ConsumerId", "svc"),
            ("retain", "true"), ("cleanSession", "true"), ("backOffMaxRetries", "-1")));

        Assert.Equal(("broker.example", 8883, true), (metadata.Host, metadata.Port, metadata.UseTls));
        Assert.Equal(("dev@ice", "p:ss"), (metadata.Username, metadata.Password));
        Assert.Equal(("svc-consumer", "svc-producer"), (metadata.ConsumerClientId, metadata.ProducerClientId));
        Assert.True(metadata.Retain && metadata.CleanSession);
        Assert.Equal(-1, metadata.BackOffMaxRetries);
    }

    [Fact]
    public void Defaults_are_daprds_no_retain_persistent_session_and_no_delivery_retries()
    {
        var metadata = MqttBindingMetadata.Parse(Component(Valid));

        Assert.Equal((false, false, 0, false), (metadata.Retain, metadata.CleanSession, metadata.BackOffMaxRetries, metadata.UseTls));
        Assert.Null(metadata.Username);
    }

    [Theory]
    [InlineData("consumerID", null, "consumerID", "is required")]
    [InlineData("topic", null, "topic", "is required")]
    [InlineData("url", null, "url", "is required")]
    [InlineData("url", "ws://127.0.0.1:9001", "url", "scheme 'ws' is not supported")]
    [InlineData("url", "127.0.0.1:1883", "url", "is not a broker URL")]
    [InlineData("url", "tcp://127.0.0.1", "url", "has no port")]
    [InlineData("backOffMaxRetries", "twice", "backOffMaxRetries", "not a whole number")]
    [InlineData("backOffMaxRetries", "-2", "backOffMaxRetries", "-1 (retry forever)")]
    [InlineData("retain", "yes please", "retain", "not true or false")]
    [InlineData("caCert", "not a certificate", "caCert", "PEM")]
    public void Bad_metadata_fails_with_the_file_and_the_field(string key, string? value, string field, string problem)
    {
        var metadata = Valid.Where(m => m.Item1 != key).ToList();
        if (value is not null) metadata.Add((key, value));

        var error = Assert.Throws<ConfigurationException>(() => MqttBindingMetadata.Parse(Component([.. metadata])));

        Assert.Equal("/app/components/devices.yaml", error.File);
        Assert.Equal($"component 'devices' spec.metadata.{field}", error.Field);
        Assert.Contains(problem, error.Problem);
    }

    [Fact]
    public void A_password_in_a_bad_url_is_not_repeated_in_the_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => MqttBindingMetadata.Parse(Component(
            ("url", "tcp://user:secret@127.0.0.1"), ("topic", "t"), ("consumerID", "c"))));

        Assert.DoesNotContain("secret", error.Message);
    }

    [Theory]
    [InlineData("direction", "sideways", "spec.metadata.direction")]
    [InlineData("consumerID", "{podName}", "spec.metadata.consumerID")]
    public void The_sidecar_refuses_a_binding_with_a_bad_direction_or_a_kubernetes_only_template(string key, string value, string field)
    {
        var component = BindingsSidecar.Mqtt("devices", "t", (key, value));

        var error = Assert.Throws<ConfigurationException>(() => BindingsSidecar.CreateFeature([component]));

        Assert.Equal("/resources/devices.yaml", error.File);
        Assert.EndsWith(field, error.Field);
    }

    [Fact]
    public void An_unsupported_binding_type_is_refused_unless_the_component_says_ignoreErrors()
    {
        var kafka = new ComponentSpec("events", "bindings.kafka", "v1", new Dictionary<string, string>(), [], false, "/resources/events.yaml");

        var error = Assert.Throws<ConfigurationException>(() => BindingsSidecar.CreateFeature([kafka]));
        Assert.Contains("bindings.mqtt3", error.Problem);

        var tolerated = BindingsSidecar.CreateFeature([kafka with { IgnoreErrors = true }]);
        Assert.Null(tolerated.CountersOf("events"));
    }

    [Fact]
    public void Templates_give_every_sidecar_its_own_consumer_id()
    {
        var component = BindingsSidecar.Mqtt("devices", "t", ("consumerID", "{appID}-{uuid}"));

        var first = MqttBindingMetadata.Parse(ExpandFor(component));
        var second = MqttBindingMetadata.Parse(ExpandFor(component));

        Assert.StartsWith("lightbulb-", first.ConsumerId);
        Assert.NotEqual(first.ConsumerId, second.ConsumerId);
        Assert.Equal("lightbulb-".Length + 36, first.ConsumerId.Length);
    }

    private static ComponentSpec ExpandFor(ComponentSpec component) =>
        MetadataTemplates.Expand(component, new DaprIoT.LocalRuntime.Sidecar.SidecarContext
        {
            AppId = "lightbulb",
            InstanceId = "lightbulb-0",
            HttpPort = 0,
            Components = [component],
            StateStores = new Dictionary<string, DaprIoT.LocalRuntime.State.IStateStore>(),
            DeclarativeSubscriptions = [],
            Resiliency = DaprIoT.LocalRuntime.Resiliency.ResiliencySpec.Empty,
            App = new HttpAppChannel("127.0.0.1", null, appToken: null),
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            Services = new ServiceCollection().BuildServiceProvider(),
        });
}
