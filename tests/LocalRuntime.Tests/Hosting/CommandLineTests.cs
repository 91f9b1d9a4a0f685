using DaprIoT.LocalRuntime.Hosting;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

public sealed class CommandLineTests
{
    [Fact]
    public void The_dapr_cli_shape_parses_with_every_option()
    {
        var parsed = CommandLine.Parse(["run", "-f", ".", "--infra", "none", "--data-dir", "/tmp/d", "--log-level", "warn", "--dashboard-port", "8080"], out var error);

        Assert.Null(error);
        Assert.Equal(new CommandLine(".", InfrastructureMode.None, "/tmp/d", LogLevel.Warning, 8080), parsed);
    }

    [Fact]
    public void Defaults_start_infrastructure_and_no_dashboard()
    {
        var parsed = CommandLine.Parse(["-f", "dapr.yaml"], out _);

        Assert.Equal(new CommandLine("dapr.yaml", InfrastructureMode.Auto, null, LogLevel.Information, null), parsed);
    }

    [Theory]
    [InlineData(new[] { "--infra", "none" }, "-f is required")]
    [InlineData(new[] { "-f" }, "-f needs a file or folder")]
    [InlineData(new[] { "-f", ".", "--infra", "docker" }, "--infra must be auto or none, not 'docker'")]
    [InlineData(new[] { "-f", ".", "--dashboard-port", "eighty" }, "--dashboard-port must be a port number, not 'eighty'")]
    [InlineData(new[] { "-f", ".", "--dashboard-port", "70000" }, "--dashboard-port must be a port number, not '70000'")]
    [InlineData(new[] { "-f", ".", "--verbose" }, "unknown argument '--verbose'")]
    public void Bad_arguments_are_refused_with_a_reason(string[] args, string expected)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.Equal(expected, error);
    }
}
