using DaprIoT.Conformance.Tests.Harness;
using Xunit;

namespace DaprIoT.Conformance.Tests.Core;

public sealed class BadConfigurationConformanceTests
{
    [Fact]
    public async Task A_run_file_with_a_wrong_type_makes_dapr_local_exit_non_zero_naming_file_and_field()
    {
        var ct = TestContext.Current.CancellationToken;
        var (exitCode, output, folder) = await LocalRuntimeHarness.RunToExitAsync("""
            version: 1
            apps:
              - appID: web
                appDirPath: ./web
                daprHTTPPort: lots
            """, new Dictionary<string, string> { ["web/.keep"] = "" }, cancellationToken: ct);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(Path.Combine(folder, "dapr.yaml"), output);
        Assert.Contains("apps[0].daprHTTPPort", output);
        Assert.Contains("'lots' is not a whole number", output);
    }

    [Fact]
    public async Task A_malformed_component_file_makes_dapr_local_exit_non_zero_naming_the_file_and_line()
    {
        var ct = TestContext.Current.CancellationToken;
        var (exitCode, output, folder) = await LocalRuntimeHarness.RunToExitAsync("""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - { appID: web, appDirPath: ./web }
            """, new Dictionary<string, string>
            {
                ["web/.keep"] = "",
                ["resources/broken.yaml"] = "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: [oops\n",
            }, cancellationToken: ct);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(Path.Combine(folder, "resources", "broken.yaml"), output);
        Assert.Contains("malformed YAML at line", output);
    }

    [Fact]
    public async Task A_component_file_ending_inside_a_flow_mapping_makes_dapr_local_exit_1_naming_the_file_and_line()
    {
        var ct = TestContext.Current.CancellationToken;
        var (exitCode, output, folder) = await LocalRuntimeHarness.RunToExitAsync("""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - { appID: web, appDirPath: ./web }
            """, new Dictionary<string, string>
            {
                ["web/.keep"] = "",
                ["resources/unclosed.yaml"] = "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: s",
            }, cancellationToken: ct);

        Assert.Equal(1, exitCode);
        Assert.Contains(Path.Combine(folder, "resources", "unclosed.yaml"), output);
        Assert.Contains("malformed YAML at line 4, column 1", output);
        Assert.DoesNotContain("InvalidOperationException", output);
    }

    [Fact]
    public async Task An_unknown_component_type_makes_dapr_local_exit_non_zero_naming_spec_type()
    {
        var ct = TestContext.Current.CancellationToken;
        var (exitCode, output, _) = await LocalRuntimeHarness.RunToExitAsync("""
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - { appID: web, appDirPath: ./web }
            """, new Dictionary<string, string>
            {
                ["web/.keep"] = "",
                ["resources/store.yaml"] = "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: store }\nspec: { type: state.postgresql, version: v1 }\n",
            }, cancellationToken: ct);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("spec.type", output);
        Assert.Contains("state.postgresql", output);
    }

    [Fact]
    public async Task Bad_command_line_arguments_print_the_usage_and_exit_2()
    {
        var ct = TestContext.Current.CancellationToken;
        var (exitCode, output, _) = await LocalRuntimeHarness.RunToExitAsync("version: 1\n", cancellationToken: ct);

        // A run file without apps is a configuration error (1), distinct from a usage error (2).
        Assert.Equal(1, exitCode);
        Assert.Contains("apps", output);
    }
}
