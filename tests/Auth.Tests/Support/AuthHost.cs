using DaprIoT.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.Auth.Tests.Support;

/// <summary>
/// The auth service in the test process (its real Program), talking to the <see cref="AuthSidecar"/> for state and the
/// signing key, on a fake clock (<see cref="Clock"/>) so token and login lifetimes are moved by the test, not waited for.
/// Login limits are per account as configured (5) but generous per address and over a long window, so that only a test
/// about limits meets them.
/// </summary>
public sealed class AuthHost(AuthSidecar sidecar) : WebApplicationFactory<AuthOptions>
{
    private readonly Dictionary<string, string?> _settings = [];

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public AuthSidecar Sidecar => sidecar;

    /// <summary>Overrides a setting (e.g. <c>Auth:LoginsPerAddress</c>); call before the first client is created.</summary>
    public AuthHost With(string key, string value)
    {
        _settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("DAPR_GRPC_PORT", sidecar.Runtime.GrpcPort("auth").ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("DAPR_HTTP_PORT", sidecar.Runtime.SidecarPort("auth").ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Auth:LoginsPerAddress", "10000");
        builder.UseSetting("Auth:LoginWindow", "01:00:00");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
