namespace DaprIoT.LocalRuntime.Secrets;

/// <summary>A secret store component, as components-contrib's <c>secretstores.SecretStore</c>.</summary>
internal interface ISecretStore
{
    /// <summary>The values of one secret (usually one entry named after it). Throws with the store's own message when it cannot answer.</summary>
    IReadOnlyDictionary<string, string> Get(string name);

    /// <summary>Every secret the store holds, by name.</summary>
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> GetAll();
}
