using DaprIoT.TestSupport;

namespace DaprIoT.Auth.Tests;

public sealed class SigningKeyScriptTests
{
    [Fact]
    public async Task The_script_writes_a_P256_key_once_readable_only_by_its_owner_and_keeps_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Directory.CreateTempSubdirectory("auth-key-");
        try
        {
            var file = Path.Combine(folder.FullName, "secrets", "auth.json");

            await AuthSigningKeyScript.RunAsync(file, ct);
            var first = await File.ReadAllTextAsync(file, ct);
            await AuthSigningKeyScript.RunAsync(file, ct);

            Assert.Equal(first, await File.ReadAllTextAsync(file, ct));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.NotEmpty(Tokens.SigningKey.FromPem(AuthSigningKeyScript.PemIn(await File.ReadAllTextAsync(file, ct))).KeyId);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_key_that_is_not_P256_or_not_a_key_is_refused_with_what_to_do()
    {
        using var p384 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);

        Assert.Contains("P-256", Assert.Throws<ArgumentException>(() => Tokens.SigningKey.FromPem(p384.ExportPkcs8PrivateKeyPem())).Message,
            StringComparison.Ordinal);
        Assert.Contains("auth-signing-key.sh", Assert.Throws<ArgumentException>(() => Tokens.SigningKey.FromPem("hello")).Message,
            StringComparison.Ordinal);
    }
}
