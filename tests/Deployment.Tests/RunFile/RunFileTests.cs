namespace DaprIoT.Deployment.Tests.RunFile;

public sealed class RunFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dapriot-runfile-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Dapr_yaml_is_a_valid_multi_app_run_file()
    {
        var problems = DaprRunFile.Check(Repository.RunFile);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_service_in_dapr_yaml_listens_on_its_own_app_port()
    {
        var apps = DaprRunFile.Apps(DaprRunFile.Load(Repository.RunFile), Repository.Root);
        // The platform's services (the device simulators have no app port).
        Assert.Contains(apps, a => a.AppId == "lightbulb" && a.AppPort == 5101);
        Assert.All(apps.Where(a => a.AppPort is not null), a => Assert.InRange(a.AppPort!.Value, 1024, 65535));
    }

    [Fact]
    public void The_rules_name_the_field_of_each_mistake()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "one"));
        Directory.CreateDirectory(Path.Combine(_folder, "two"));
        Directory.CreateDirectory(Path.Combine(_folder, "components"));
        File.WriteAllText(Path.Combine(_folder, "components", "bus.yaml"), """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata: { name: broadcast }
            spec: { type: pubsub.redis, version: v1, metadata: [ { name: consumerID, value: "{podName}" } ] }
            """);
        File.WriteAllText(Path.Combine(_folder, "one", "One.csproj"), "<Project><PropertyGroup><AssemblyName>Acme.One</AssemblyName></PropertyGroup></Project>");
        var file = Path.Combine(_folder, "dapr.yaml");
        File.WriteAllText(file, """
            common:
              resourcesPaths: [./missing, ./components]
              env: { A: "1" }
              appLogDestination: files
            apps:
              - appID: one
                appDirPath: ./one
                appPort: 5001
                daprHTTPPort: 5001
                env: { B: "2" }
                command: ["dotnet", "bin/Release/net10.0/Acme.Two.dll", "--urls", "http://127.0.0.1:5009"]
              - appDirPath: ./two
                appPort: "x"
                apport: 5003
              - appID: two
                appDirPath: ./nowhere
                env: {}
            """);

        var problems = DaprRunFile.Check(file);

        string[] expected =
        [
            "version: required",
            "common.resourcesPaths[0]: './missing' does not exist",
            "common.appLogDestination: 'files' is not one of",
            "/components/bus.yaml: component broadcast metadata consumerID uses {podName}",
            "apps[1].env: required while common.env is set",
            "apps[0].command: runs bin/Release/net10.0/Acme.Two.dll, but the project in",
            "apps[0].command: listens on http://127.0.0.1:5009, but appPort is 5001",
            "apps[1].appPort: must be a whole number",
            "apps[1].apport: not a field the Dapr CLI reads here",
            "apps[2].appDirPath: './nowhere' does not exist",
            "apps: app id 'two' is used by apps 1 and 2",
            "apps: port 5001 is taken twice: apps[0].appPort and apps[0].daprHTTPPort",
        ];
        foreach (var message in expected)
            Assert.True(problems.Any(p => p.Contains(message, StringComparison.Ordinal)), $"no '{message}' in:\n{string.Join("\n", problems)}");
        Assert.All(problems, p => Assert.StartsWith(Repository.Relative(file), p, StringComparison.Ordinal));
    }
}
