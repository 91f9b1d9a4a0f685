using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DaprIoT.Dapr.Security;

public static class AppApiTokenRegistration
{
    /// <summary>
    /// When APP_API_TOKEN is set (configuration or environment), requires every request except the exempt health paths
    /// to carry <c>dapr-api-token</c> with that value, else 401. Without the variable this adds nothing.
    /// </summary>
    public static IApplicationBuilder UseDaprAppApiToken(this IApplicationBuilder app, Action<AppApiTokenOptions>? configure = null)
    {
        var configuration = app.ApplicationServices.GetService<IConfiguration>();
        var token = configuration?["APP_API_TOKEN"] ?? Environment.GetEnvironmentVariable("APP_API_TOKEN");
        if (string.IsNullOrEmpty(token))
        {
            return app;
        }

        var options = new AppApiTokenOptions();
        configure?.Invoke(options);
        return app.UseMiddleware<AppApiTokenMiddleware>(Encoding.UTF8.GetBytes(token), options);
    }
}
