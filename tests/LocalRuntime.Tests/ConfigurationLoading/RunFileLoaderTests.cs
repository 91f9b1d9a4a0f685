using Xunit;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Tests.Hosting;

namespace DaprIoT.LocalRuntime.Tests.ConfigurationLoading;

public sealed class RunFileLoaderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ConfigurationException LoadFails(string yaml)
    {
        var file = _folder.Write("dapr.yaml", yaml);
        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(_folder.Path));
        Assert.Equal(file, error.File);
        return error;
    }

    [Fact]
    public void A_full_run_file_is_read_with_common_values_paths_and_replicas()
    {
        _folder.Folder("src/orders");
        _folder.Folder("src/web/.dapr/resources");
        _folder.Folder("resources");
        _folder.Write("config.yaml", "kind: Configuration\n");
        _folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPaths: [./resources]
              configFilePath: ./config.yaml
              env: { SHARED: common, OVERRIDE: common }
              enableAppHealthCheck: true
              appHealthProbeTimeout: 250
            apps:
              - appID: orders
                appDirPath: ./src/orders
                appPort: 5101
                command: ["dotnet", "run"]
                env: { OVERRIDE: app, NUMBER: 42 }
              - appID: orders
                appDirPath: ./src/orders
                appPort: 5102
                command: dotnet run --no-build
              - appDirPath: ./src/web
                daprHTTPPort: 3600
                maxBodySize: 16Mi
            """);

        var run = RunFileLoader.Load(_folder.Path);

        Assert.Equal(3, run.Apps.Count);
        var first = run.Apps[0];
        Assert.Equal(("orders", 0, "orders-0"), (first.AppId, first.Replica, first.InstanceId));
        Assert.Equal(Path.Combine(_folder.Path, "src", "orders"), first.AppDirPath);
        Assert.Equal(["dotnet", "run"], first.Command);
        Assert.Equal(5101, first.AppPort);
        Assert.Null(first.DaprHttpPort);
        Assert.Equal([Path.Combine(_folder.Path, "resources")], first.ResourcesPaths);
        Assert.Equal(Path.Combine(_folder.Path, "config.yaml"), first.ConfigFilePath);
        Assert.Equal("common", first.Env["SHARED"]);
        Assert.Equal("app", first.Env["OVERRIDE"]);
        Assert.Equal("42", first.Env["NUMBER"]);
        Assert.Equal(new AppHealthCheck("/healthz", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(250), 3), first.HealthCheck);

        Assert.Equal(("orders", 1), (run.Apps[1].AppId, run.Apps[1].Replica));
        Assert.Equal(["dotnet", "run", "--no-build"], run.Apps[1].Command);

        var web = run.Apps[2];
        Assert.Equal("web", web.AppId);
        Assert.Empty(web.Command);
        Assert.Null(web.AppPort);
        Assert.Equal(3600, web.DaprHttpPort);
        Assert.Equal(16 * 1024 * 1024, web.MaxBodySize);
        // An app folder's own .dapr/resources replaces common.resourcesPaths rather than adding to it.
        Assert.Equal([Path.Combine(_folder.Path, "src", "web", ".dapr", "resources")], web.ResourcesPaths);
    }

    [Fact]
    public void An_apps_own_resources_paths_win_and_are_relative_to_its_folder()
    {
        _folder.Folder("app/.dapr/resources");
        _folder.Folder("app/components");
        _folder.Folder("resources");
        _folder.Write("dapr.yaml", """
            version: 1
            common: { resourcesPaths: [./resources] }
            apps:
              - { appID: a, appDirPath: ./app, resourcesPaths: [./components] }
            """);

        var app = RunFileLoader.Load(Path.Combine(_folder.Path, "dapr.yaml")).Apps[0];

        Assert.Equal([Path.Combine(_folder.Path, "app", "components")], app.ResourcesPaths);
    }

    [Fact]
    public void Malformed_yaml_names_the_file_line_and_column()
    {
        var error = LoadFails("version: 1\napps:\n  - appID: a\n   appDirPath: [unclosed\n");

        Assert.Equal("(yaml)", error.Field);
        Assert.Contains("line", error.Problem);
        Assert.Contains("column", error.Problem);
    }

    [Fact]
    public void An_unknown_version_is_rejected()
    {
        _folder.Folder("a");
        var error = LoadFails("version: 2\napps:\n  - { appID: a, appDirPath: ./a }\n");

        Assert.Equal("version", error.Field);
        Assert.Contains("'2'", error.Problem);
    }

    [Fact]
    public void A_missing_app_dir_path_is_rejected()
    {
        var error = LoadFails("version: 1\napps:\n  - { appID: a, appPort: 5000 }\n");

        Assert.Equal("apps[0].appDirPath", error.Field);
        Assert.Contains("required", error.Problem);
    }

    [Fact]
    public void An_app_dir_path_that_does_not_exist_is_rejected()
    {
        var error = LoadFails("version: 1\napps:\n  - { appID: a, appDirPath: ./nowhere }\n");

        Assert.Equal("apps[0].appDirPath", error.Field);
        Assert.Contains("does not exist", error.Problem);
    }

    [Fact]
    public void Two_apps_on_the_same_port_are_rejected()
    {
        _folder.Folder("a");
        var error = LoadFails("""
            version: 1
            apps:
              - { appID: a, appDirPath: ./a, daprHTTPPort: 3500 }
              - { appID: b, appDirPath: ./a, appPort: 3500 }
            """);

        Assert.Equal("apps[b #0].appPort", error.Field);
        Assert.Contains("3500", error.Problem);
    }

    [Fact]
    public void A_port_that_is_not_a_number_is_rejected_with_its_line()
    {
        _folder.Folder("a");
        var error = LoadFails("version: 1\napps:\n  - appID: a\n    appDirPath: ./a\n    appPort: fifty\n");

        Assert.Equal("apps[0].appPort", error.Field);
        Assert.Contains("'fifty' is not a whole number", error.Problem);
        Assert.Contains("line 5", error.Problem);
    }

    [Fact]
    public void Env_given_as_a_list_is_rejected()
    {
        _folder.Folder("a");
        var error = LoadFails("version: 1\napps:\n  - appID: a\n    appDirPath: ./a\n    env: [A, B]\n");

        Assert.Equal("apps[0].env", error.Field);
        Assert.Contains("mapping", error.Problem);
    }

    [Fact]
    public void A_run_file_without_apps_is_rejected()
    {
        var error = LoadFails("version: 1\n");

        Assert.Equal("apps", error.Field);
    }

    [Fact]
    public void A_folder_without_a_run_file_is_named_in_the_error()
    {
        var error = Assert.Throws<ConfigurationException>(() => RunFileLoader.Load(_folder.Path));

        Assert.Contains("no dapr.yaml", error.Problem);
    }

    [Fact]
    public void An_app_protocol_other_than_http_is_rejected_with_what_is_supported()
    {
        _folder.Folder("a");
        var error = LoadFails("version: 1\napps:\n  - { appID: a, appDirPath: ./a, appProtocol: grpc }\n");

        Assert.Equal("apps[0].appProtocol", error.Field);
        Assert.Contains("http only", error.Problem);
    }

    [Fact]
    public void Two_replicas_on_the_same_app_port_are_rejected()
    {
        _folder.Folder("a");
        var error = LoadFails("""
            version: 1
            apps:
              - { appID: a, appDirPath: ./a, appPort: 5000 }
              - { appID: a, appDirPath: ./a, appPort: 5000 }
            """);

        Assert.Equal("apps[a #1].appPort", error.Field);
    }

    [Fact]
    public void A_health_check_threshold_of_zero_is_rejected()
    {
        _folder.Folder("a");
        var error = LoadFails("version: 1\napps:\n  - { appID: a, appDirPath: ./a, enableAppHealthCheck: true, appHealthThreshold: 0 }\n");

        Assert.Equal("apps[0].appHealthThreshold", error.Field);
    }

    [Fact]
    public void An_enable_flag_that_is_not_a_boolean_is_rejected()
    {
        _folder.Folder("a");
        var error = LoadFails("version: 1\napps:\n  - { appID: a, appDirPath: ./a, enableAppHealthCheck: sometimes }\n");

        Assert.Equal("apps[0].enableAppHealthCheck", error.Field);
        Assert.Contains("true or false", error.Problem);
    }

    [Fact]
    public void Keys_the_cli_would_ignore_are_reported_as_warnings()
    {
        _folder.Folder("a");
        _folder.Write("dapr.yaml", "version: 1\ncommon: { resourcePaths: [./r] }\napps:\n  - { appID: a, appDirPath: ./a, appPorts: 5000, containerImage: x }\n");

        var run = RunFileLoader.Load(_folder.Path);

        Assert.Equal(2, run.Warnings.Count);
        Assert.Contains(run.Warnings, w => w.EndsWith("common.resourcePaths: unknown key, ignored", StringComparison.Ordinal));
        Assert.Contains(run.Warnings, w => w.EndsWith("apps[0].appPorts: unknown key, ignored", StringComparison.Ordinal));
    }
}
