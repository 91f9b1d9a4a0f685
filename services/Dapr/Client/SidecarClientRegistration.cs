using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DaprIoT.Dapr.Client;

public static class SidecarClientRegistration
{
    /// <summary>
    /// Registers <see cref="DaprSidecarClient"/> as a typed HttpClient. DAPR_HTTP_PORT and DAPR_API_TOKEN come from
    /// configuration, falling back to the process environment; the port defaults to 3500.
    /// </summary>
    public static IHttpClientBuilder AddDaprSidecarClient(this IServiceCollection services, Action<SidecarClientOptions>? configure = null)
    {
        services.AddOptions<SidecarClientOptions>().Configure<IServiceProvider>((options, provider) =>
        {
            var configuration = provider.GetService<IConfiguration>();
            var port = configuration?["DAPR_HTTP_PORT"] ?? Environment.GetEnvironmentVariable("DAPR_HTTP_PORT");
            if (!string.IsNullOrWhiteSpace(port))
            {
                if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
                {
                    throw new OptionsValidationException(nameof(SidecarClientOptions), typeof(SidecarClientOptions),
                        [$"DAPR_HTTP_PORT must be a TCP port number (1-65535), but it is '{port}'."]);
                }

                options.HttpPort = parsed;
            }

            var token = configuration?["DAPR_API_TOKEN"] ?? Environment.GetEnvironmentVariable("DAPR_API_TOKEN");
            if (!string.IsNullOrEmpty(token))
            {
                options.ApiToken = token;
            }
        });
        if (configure is not null)
        {
            services.PostConfigure(configure);
        }

        services.AddHttpContextAccessor();
        return services.AddHttpClient<DaprSidecarClient>((provider, http) =>
        {
            http.BaseAddress = provider.GetRequiredService<IOptions<SidecarClientOptions>>().Value.BaseAddress;
            // Actor calls and slow handlers behind service invocation can legitimately take long; callers pass tokens.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
    }
}
