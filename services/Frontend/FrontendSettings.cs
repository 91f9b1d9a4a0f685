using System.Globalization;

namespace DaprIoT.Frontend;

/// <summary>
/// Where the frontend sends what it does not serve itself, read from configuration and checked before the host is
/// built, so a wrong value stops the process with a message naming it instead of failing the first browser request.
/// </summary>
/// <param name="Sidecar">This app's Dapr sidecar (<c>http://127.0.0.1:{DAPR_HTTP_PORT}</c>): every <c>/api/*</c> call is a service invocation through it.</param>
/// <param name="DaprApiToken">Sent to the sidecar as <c>dapr-api-token</c> when the sidecar requires one (<c>DAPR_API_TOKEN</c>).</param>
/// <param name="HubDestinations">The device-management replicas <c>/hubs/*</c> goes to (<c>Hubs:Destinations</c>).</param>
/// <param name="ChartRefreshSeconds">
/// How often an open device page refreshes a chart only statistics can update, a bulb's power draw
/// (<c>Web:ChartRefreshSeconds</c>); told to the page by <c>/settings.json</c>.
/// </param>
public sealed record FrontendSettings(Uri Sidecar, string? DaprApiToken, IReadOnlyList<Uri> HubDestinations, int ChartRefreshSeconds)
{
    /// <summary>daprd's default HTTP port, for a frontend started without a sidecar's environment.</summary>
    public const int DefaultDaprHttpPort = 3500;

    /// <summary>device-management's app port in dapr.yaml: the one replica a local run has.</summary>
    public const string DefaultHubDestination = "http://127.0.0.1:5105";

    public const string HubDestinationsKey = "Hubs:Destinations";

    public const string ChartRefreshKey = "Web:ChartRefreshSeconds";

    /// <summary>
    /// A quarter of a minute bucket: the newest minute is seen filling, and each open page costs statistics one small
    /// read per 15 s. Tests set a shorter one.
    /// </summary>
    public const int DefaultChartRefreshSeconds = 15;

    public const int MaxChartRefreshSeconds = 3600;

    /// <summary>
    /// Reads <c>DAPR_HTTP_PORT</c>, <c>DAPR_API_TOKEN</c>, <c>Hubs:Destinations</c> — a list
    /// (<c>Hubs__Destinations__0=…</c>, <c>__1=…</c>) or one comma-separated value (<c>Hubs__Destinations=http://a:5105,http://b:5105</c>)
    /// — and <c>Web:ChartRefreshSeconds</c>.
    /// </summary>
    /// <exception cref="FrontendConfigurationException">naming every value at fault.</exception>
    public static FrontendSettings Read(IConfiguration configuration)
    {
        var errors = new List<string>();

        var port = DefaultDaprHttpPort;
        var portText = configuration["DAPR_HTTP_PORT"];
        if (!string.IsNullOrWhiteSpace(portText)
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            errors.Add($"DAPR_HTTP_PORT '{portText}' is not a port number (1-65535)");

        var destinations = new List<Uri>();
        foreach (var (key, value) in HubDestinationValues(configuration.GetSection(HubDestinationsKey)))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                errors.Add($"{key} '{value}' is not an absolute http:// or https:// URL");
            else if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
                errors.Add($"{key} '{value}' has a query or fragment; give the replica's base URL");
            else
                destinations.Add(uri);
        }
        if (destinations.Count != destinations.Distinct().Count())
            errors.Add($"{HubDestinationsKey} names one replica twice");

        var refresh = DefaultChartRefreshSeconds;
        var refreshText = configuration[ChartRefreshKey];
        if (refreshText is not null
            && (!int.TryParse(refreshText, NumberStyles.None, CultureInfo.InvariantCulture, out refresh) || refresh is < 1 or > MaxChartRefreshSeconds))
            errors.Add($"{ChartRefreshKey} '{refreshText}' is not a whole number of seconds (1-{MaxChartRefreshSeconds.ToString(CultureInfo.InvariantCulture)})");

        if (errors.Count > 0) throw new FrontendConfigurationException(errors);
        var token = configuration["DAPR_API_TOKEN"];
        return new FrontendSettings(new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"),
            string.IsNullOrEmpty(token) ? null : token, destinations, refresh);
    }

    private static IEnumerable<(string Key, string Value)> HubDestinationValues(IConfigurationSection section)
    {
        var listed = section.GetChildren().ToList();
        if (listed.Count > 0) return listed.Select(child => (child.Path, child.Value?.Trim() ?? ""));
        if (section.Value is null) return [(section.Path, DefaultHubDestination)];
        var values = section.Value.Split(',', StringSplitOptions.TrimEntries);
        return values.Length == 1 ? [(section.Path, values[0])] : values.Select((value, i) => ($"{section.Path} item {i + 1}", value));
    }
}

/// <summary>The frontend's configuration cannot work; the message lists each problem on its own line.</summary>
public sealed class FrontendConfigurationException(IReadOnlyList<string> errors)
    : Exception("The frontend's configuration is invalid:" + string.Concat(errors.Select(e => "\n  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
