using System.Text;
using System.Text.Json;

namespace DaprIoT.Dapr.Client;

/// <summary>What an output binding answered: its body (often empty) and its <c>metadata.*</c> response headers.</summary>
public sealed class BindingResponse(byte[] data, IReadOnlyDictionary<string, string> metadata, JsonSerializerOptions serializerOptions)
{
    public byte[] Data { get; } = data;

    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    public string DataAsString() => Encoding.UTF8.GetString(Data);

    public T? DataAs<T>() => Data.Length == 0 ? default : JsonSerializer.Deserialize<T>(Data, serializerOptions);
}
