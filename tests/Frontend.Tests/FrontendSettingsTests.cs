using System.Diagnostics;
using DaprIoT.TestSupport;
using Microsoft.Extensions.Configuration;

namespace DaprIoT.Frontend.Tests;

/// <summary>The frontend's settings: defaults, the forms a list may take, and a clear refusal of what cannot work.</summary>
public sealed class FrontendSettingsTests
{
    private static FrontendSettings Read(params (string Key, string Value)[] values) =>
        FrontendSettings.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build());

    [Fact]
    public void Without_settings_it_uses_the_default_sidecar_port_and_the_local_device_management()
    {
        var settings = Read();

        Assert.Equal(new Uri("http://127.0.0.1:3500"), settings.Sidecar);
        Assert.Null(settings.DaprApiToken);
        Assert.Equal([new Uri(FrontendSettings.DefaultHubDestination)], settings.HubDestinations);
        Assert.Equal(15, settings.ChartRefreshSeconds);
    }

    [Fact]
    public void The_chart_refresh_is_a_whole_number_of_seconds() =>
        Assert.Equal(2, Read(("Web:ChartRefreshSeconds", "2")).ChartRefreshSeconds);

    [Fact]
    public void Hub_destinations_come_as_a_list_or_one_comma_separated_value()
    {
        var listed = Read(("DAPR_HTTP_PORT", "3511"), ("DAPR_API_TOKEN", "t0k"),
            ("Hubs:Destinations:0", "http://10.0.0.1:5105"), ("Hubs:Destinations:1", "https://dm-1.internal/"));
        var joined = Read(("Hubs:Destinations", "http://10.0.0.1:5105, https://dm-1.internal/"));

        Assert.Equal(new Uri("http://127.0.0.1:3511"), listed.Sidecar);
        Assert.Equal("t0k", listed.DaprApiToken);
        Assert.Equal([new Uri("http://10.0.0.1:5105"), new Uri("https://dm-1.internal/")], listed.HubDestinations);
        Assert.Equal(listed.HubDestinations, joined.HubDestinations);
    }

    [Fact]
    public void Every_bad_value_is_named_in_one_error()
    {
        var error = Assert.Throws<FrontendConfigurationException>(() => Read(("DAPR_HTTP_PORT", "70000"),
            ("Hubs:Destinations:0", "dm:5105"), ("Hubs:Destinations:1", "ftp://dm"), ("Hubs:Destinations:2", "http://dm:5105/?x=1"),
            ("Web:ChartRefreshSeconds", "soon")));

        Assert.Equal(
        [
            "DAPR_HTTP_PORT '70000' is not a port number (1-65535)",
            "Hubs:Destinations:0 'dm:5105' is not an absolute http:// or https:// URL",
            "Hubs:Destinations:1 'ftp://dm' is not an absolute http:// or https:// URL",
            "Hubs:Destinations:2 'http://dm:5105/?x=1' has a query or fragment; give the replica's base URL",
            "Web:ChartRefreshSeconds 'soon' is not a whole number of seconds (1-3600)",
        ], error.Errors);
        Assert.StartsWith("The frontend's configuration is invalid:\n  - DAPR_HTTP_PORT", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hubs:Destinations", "")]
    [InlineData("Hubs:Destinations", "http://a:1,,http://b:2")]
    [InlineData("Hubs:Destinations", "http://a:1,http://a:1")]
    [InlineData("DAPR_HTTP_PORT", "-1")]
    [InlineData("DAPR_HTTP_PORT", "0")]
    [InlineData("Web:ChartRefreshSeconds", "0")]
    [InlineData("Web:ChartRefreshSeconds", "1.5")]
    [InlineData("Web:ChartRefreshSeconds", "3601")]
    [InlineData("Web:ChartRefreshSeconds", "")]
    public void Empty_duplicate_or_out_of_range_values_are_refused(string key, string value) =>
        Assert.Throws<FrontendConfigurationException>(() => Read((key, value)));

    [Fact]
    public async Task The_built_service_exits_with_the_message_instead_of_starting()
    {
        var dll = RepositoryPaths.Built(Path.Combine("services", "Frontend"), "DaprIoT.Frontend.dll", "dotnet build services/Frontend");
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", "http://127.0.0.1:0"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DAPR_HTTP_PORT"] = "not-a-port";
        info.Environment["Hubs__Destinations__0"] = "device-management:5105";
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Equal(
            "The frontend's configuration is invalid:\n  - DAPR_HTTP_PORT 'not-a-port' is not a port number (1-65535)\n"
            + "  - Hubs:Destinations:0 'device-management:5105' is not an absolute http:// or https:// URL\n",
            await errors);
    }
}
