using System.Net;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace DaprIoT.LocalRuntime.Sidecar.Grpc;

/// <summary>
/// The sidecar's gRPC API on <c>127.0.0.1:{DAPR_GRPC_PORT}</c>: HTTP/2 only, cleartext, as the Dapr SDKs connect to
/// it (prior knowledge; a listener that also offers HTTP/1.1 fails every call of the .NET SDK).
/// </summary>
internal sealed class GrpcApiServer : IAsyncDisposable
{
    private readonly WebApplication _web;

    public GrpcApiServer(SidecarSettings settings, GrpcApi api, ILoggerFactory loggerFactory)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "dapr-local",
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, RuntimeControlledLifetime>();
        builder.Services.AddSingleton(api);
        builder.Services.AddSingleton(settings);
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = (int)Math.Min(settings.App.MaxBodySize, int.MaxValue));
        builder.Services.AddSingleton<IServiceMethodProvider<DaprService>, DaprServiceMethodProvider>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, settings.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
        });
        _web = builder.Build();
        _web.MapGrpcService<DaprService>();
    }

    public Task StartAsync(CancellationToken cancellationToken) => _web.StartAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _web.StopAsync(CancellationToken.None);
        await _web.DisposeAsync();
    }
}
