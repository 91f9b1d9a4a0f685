using System.Text;
using System.Text.Unicode;

namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// Go's <c>encoding/json</c>, which daprd decodes request bodies with, does not refuse invalid UTF-8: each byte
/// that does not start a valid sequence becomes U+FFFD. System.Text.Json reads such a body but throws when the
/// string is read, so bodies are repaired the same way before they are parsed.
/// </summary>
public static class GoUtf8
{
    private static readonly byte[] ReplacementCharacter = "\uFFFD"u8.ToArray();

    /// <summary>The bytes with every invalid byte replaced by U+FFFD, one per byte as Go's decoder does; the same array when valid.</summary>
    public static byte[] ReplaceInvalid(byte[] utf8)
    {
        if (Utf8.IsValid(utf8)) return utf8;
        using var repaired = new MemoryStream(utf8.Length + 16);
        var rest = utf8.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(rest, out _, out var length) == System.Buffers.OperationStatus.Done)
            {
                repaired.Write(rest[..length]);
                rest = rest[length..];
            }
            else
            {
                // .NET would consume the whole broken sequence; Go's utf8.DecodeRune gives up after one byte.
                repaired.Write(ReplacementCharacter);
                rest = rest[1..];
            }
        }
        return repaired.ToArray();
    }
}
