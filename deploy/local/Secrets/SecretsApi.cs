using Dapr.Client.Autogen.Grpc.v1;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Sidecar.Grpc;

namespace DaprIoT.LocalRuntime.Secrets;

/// <summary>
/// daprd's secrets API on both doors: <c>GET /v1.0/secrets/{store}/{key}</c> and <c>GET /v1.0/secrets/{store}/bulk</c>
/// (JSON maps), gRPC <c>GetSecret</c> and <c>GetBulkSecret</c>, over one <see cref="SecretsService"/>.
/// </summary>
public sealed class SecretsApi : ISidecarFeature
{
    private readonly SecretsService _secrets;

    public SecretsApi(SidecarContext sidecar) => _secrets = new SecretsService(sidecar);

    public void MapRoutes(IEndpointRouteBuilder routes)
    {
        // "bulk" is matched before "{key}", as in daprd's router.
        routes.MapGet("/v1.0/secrets/{storeName}/bulk", http => Answer(http, () => _secrets.GetAll(StoreName(http))));
        routes.MapGet("/v1.0/secrets/{storeName}/{key}", http =>
            Answer(http, () => _secrets.Get(StoreName(http), (string)http.GetRouteValue("key")!)));
    }

    public void MapGrpc(GrpcApi api)
    {
        api.MapUnary<GetSecretRequest, GetSecretResponse>("GetSecret", (request, _) =>
        {
            var response = new GetSecretResponse();
            foreach (var (key, value) in _secrets.Get(request.StoreName, request.Key)) response.Data[key] = value;
            return Task.FromResult(response);
        });
        api.MapUnary<GetBulkSecretRequest, GetBulkSecretResponse>("GetBulkSecret", (request, _) =>
        {
            var response = new GetBulkSecretResponse();
            foreach (var (name, values) in _secrets.GetAll(request.StoreName))
            {
                var secret = new SecretResponse();
                foreach (var (key, value) in values) secret.Secrets[key] = value;
                response.Data[name] = secret;
            }
            return Task.FromResult(response);
        });
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string StoreName(HttpContext http) => (string)http.GetRouteValue("storeName")!;

    private static async Task Answer<T>(HttpContext http, Func<T> read)
    {
        try
        {
            await http.Response.WriteAsJsonAsync(read(), http.RequestAborted);
        }
        catch (DaprApiException e)
        {
            await e.WriteAsync(http.Response, http.RequestAborted);
        }
    }
}

/// <summary>Gives each sidecar its secrets API.</summary>
public sealed class SecretsApiFactory : ISidecarFeatureFactory
{
    public ISidecarFeature Create(SidecarContext sidecar) => new SecretsApi(sidecar);
}
