using DaprIoT.LocalRuntime.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace DaprIoT.LocalRuntime.Tests.Hosting;

public sealed class CommandLineTests
{
    [Fact]
    public void The_dapr_cli_shapes_are_accepted()
    {
        var plain = CommandLine.Parse(["-f", "."], out _);
        var withRun = CommandLine.Parse(["run", "-f", "dapr.yaml", "--infra", "none", "--data-dir", "/tmp/d", "--log-level", "warn"], out var error);

        Assert.Equal(new CommandLine(".", InfrastructureMode.Auto, null, LogLevel.Information), plain);
        Assert.Null(error);
        Assert.Equal(new CommandLine("dapr.yaml", InfrastructureMode.None, "/tmp/d", LogLevel.Warning), withRun);
    }

    [Theory]
    [InlineData(new string[0], "-f is required")]
    [InlineData(new[] { "-f" }, "-f needs a file or folder")]
    [InlineData(new[] { "-f", ".", "--infra", "docker" }, "--infra must be auto or none")]
    [InlineData(new[] { "-f", ".", "--verbose" }, "unknown argument '--verbose'")]
    public void Bad_arguments_are_explained(string[] args, string expected)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.Contains(expected, error);
    }
}
