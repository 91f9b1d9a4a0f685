using DaprIoT.LocalRuntime.Sidecar;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Secrets;

/// <summary>
/// The secrets building block of one sidecar behind both doors (<see cref="SecretsApi"/>): the secret stores visible to
/// the app, opened when the sidecar is created, and daprd's checks and errors (<c>pkg/api/universal/secrets.go</c>).
/// </summary>
internal sealed class SecretsService
{
    private readonly Dictionary<string, ISecretStore> _stores = new(StringComparer.Ordinal);

    public SecretsService(SidecarContext sidecar)
    {
        foreach (var component in sidecar.Components.Where(c => c.Kind == "secretstores" && c.IsVisibleTo(sidecar.AppId)))
            _stores[component.Name] = SecretStores.Open(component, sidecar.AppDirectory);
    }

    public IReadOnlyDictionary<string, string> Get(string storeName, string key) =>
        Call(storeName, store => store.Get(key), e => $"failed getting secret with key {key} from secret store {storeName}: {e}");

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll(string storeName) =>
        Call(storeName, store => store.GetAll(), e => $"failed getting secrets from secret store {storeName}: {e}");

    private T Call<T>(string storeName, Func<ISecretStore, T> call, Func<string, string> failure)
    {
        if (_stores.Count == 0)
            throw new DaprApiException(500, StatusCode.FailedPrecondition, "ERR_SECRET_STORES_NOT_CONFIGURED", "secret store is not configured");
        if (!_stores.TryGetValue(storeName, out var store))
            throw new DaprApiException(401, StatusCode.InvalidArgument, "ERR_SECRET_STORE_NOT_FOUND", $"failed finding secret store with key {storeName}");
        try
        {
            return call(store);
        }
        catch (Exception e) when (e is KeyNotFoundException or IOException)
        {
            throw new DaprApiException(500, StatusCode.Internal, "ERR_SECRET_GET", failure(e.Message));
        }
    }
}
