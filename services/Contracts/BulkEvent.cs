using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaprIoT.Contracts;

/// <summary>
/// The contract one entry of a bulk delivery carries, read as the request is read: a handler takes
/// <c>BulkSubscribeMessage&lt;BulkEvent&lt;T&gt;&gt;</c>. The entry's event is the CloudEvent, its <c>data</c> the
/// contract (as JSON, or as JSON text), or the contract itself when it was published raw. An entry that is not readable
/// as one has a null <see cref="Value"/> instead of failing the whole request, so the handler can drop that entry
/// alone. Each entry is read straight into the contract (with <see cref="ContractJson.Options"/>), never first into a
/// JSON document of its own.
/// </summary>
[JsonConverter(typeof(BulkEventConverterFactory))]
public readonly record struct BulkEvent<T>(T? Value) where T : class;

internal sealed class BulkEventConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(BulkEvent<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(BulkEventConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;
}

internal sealed class BulkEventConverter<T> : JsonConverter<BulkEvent<T>> where T : class
{
    public override bool HandleNull => true;

    public override BulkEvent<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // The serializer hands a custom converter the whole value, though not as the final block of a request read in
        // pieces (hence TrySkip, never Skip); it is read from copies of the reader, then skipped, so an unreadable entry
        // leaves the reader where the next one starts.
        T? value;
        try
        {
            var contract = reader;
            if (reader.TokenType == JsonTokenType.StartObject && TryFindData(reader, out var data)) contract = data;
            value = ReadContract(ref contract);
        }
        catch (JsonException)
        {
            value = null;
        }

        if (!reader.TrySkip()) throw new JsonException("a bulk entry's event was not handed over whole");
        return new BulkEvent<T>(value);
    }

    public override void Write(Utf8JsonWriter writer, BulkEvent<T> value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value.Value, ContractJson.Options);

    /// <summary>Finds the object's <c>data</c> property: <paramref name="data"/> is then a reader at its value.</summary>
    private static bool TryFindData(Utf8JsonReader reader, out Utf8JsonReader data)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isData = reader.ValueTextEquals("data"u8);
            reader.Read();
            if (isData)
            {
                data = reader;
                return true;
            }

            if (!reader.TrySkip()) break;
        }

        data = default;
        return false;
    }

    private static T? ReadContract(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => JsonSerializer.Deserialize<T>(reader.GetString()!, ContractJson.Options),
        JsonTokenType.StartObject => JsonSerializer.Deserialize<T>(ref reader, ContractJson.Options),
        _ => null,
    };
}
