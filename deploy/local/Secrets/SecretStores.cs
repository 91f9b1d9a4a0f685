using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;

namespace DaprIoT.LocalRuntime.Secrets;

/// <summary>
/// Opens a secret store component, for the secrets API (<see cref="SecretsService"/>) and for <c>secretKeyRef</c>s
/// in other components (<see cref="ResourceLoader"/>), so both read a store the same way.
/// </summary>
internal static class SecretStores
{
    /// <param name="appDirectory">The app's folder (<c>appDirPath</c>): a relative <c>secretsFile</c> is read from there.</param>
    public static ISecretStore Open(ComponentSpec component, string appDirectory)
    {
        switch (component.Type)
        {
            case "secretstores.local.env":
                return new EnvSecretStore(component.GetString("prefix") ?? "");
            case "secretstores.local.file":
                var path = Path.GetFullPath(component.GetRequiredString("secretsFile"), appDirectory);
                try
                {
                    return new FileSecretStore(path, component.GetString("nestedSeparator") ?? ":", component.GetBool("multiValued", false));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException)
                {
                    throw component.Invalid("secretsFile", $"cannot read secrets from {path}: {e.Message}");
                }
            default:
                throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.type",
                    $"'{component.Type}' is not a secret store this runtime provides; it provides secretstores.local.env and secretstores.local.file");
        }
    }
}
