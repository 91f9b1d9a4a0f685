namespace DaprIoT.Auth.Tokens;

/// <summary>Holds the signing key once <see cref="SigningKeyLoader"/> has read it from the secret store.</summary>
public sealed class SigningKeyHolder
{
    private volatile SigningKey? _key;

    /// <exception cref="InvalidOperationException">Before the key is loaded; the app does not take requests until then.</exception>
    public SigningKey Current => _key ?? throw new InvalidOperationException("The signing key has not been loaded yet.");

    public void Set(SigningKey key) => _key = key;
}
