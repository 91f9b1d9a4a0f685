using System.Text;
using System.Text.Json;
using DaprIoT.Contracts.Wire;

namespace DaprIoT.Contracts.Tests;

/// <summary>Every shared test vector, each its own test case: the codec must agree with the firmware on all of them.</summary>
public class VectorTests
{
    [Fact]
    public void Vector_files_are_found_and_none_is_empty()
    {
        var files = ContractVectors.All;
        // One file per message kind and device type where they differ, plus the topics (PROTOCOL.md, "Test vectors").
        Assert.True(files.Count >= 9, $"only {files.Count} vector files in {ContractVectors.Directory}");
        Assert.Contains(ContractVectors.TopicsFile, files.Keys);
        Assert.All(files, file => Assert.NotEmpty(file.Value));
        Assert.Equal(files.Values.Sum(v => v.Length), ContractVectors.MessageCases().Count() + ContractVectors.TopicCases().Count());
    }

    [Theory]
    [MemberData(nameof(ContractVectors.MessageCases), MemberType = typeof(ContractVectors))]
    public void Message_vector(string file, int index)
    {
        var vector = ContractVectors.Get(file, index);
        bool valid = vector.GetProperty("valid").GetBoolean();
        string payload = vector.GetProperty("payload").GetString()!;

        if (!DeviceTopic.TryParse(vector.GetProperty("topic").GetString(), out var topic))
        {
            Assert.False(valid);
            Assert.Equal("bad_topic", vector.GetProperty("error").GetString());
            return;
        }

        var (ok, value, error) = Decode(topic, Encoding.UTF8.GetBytes(payload));
        if (valid)
        {
            Assert.True(ok, $"rejected: {error}");
            string canonical = vector.TryGetProperty("canonical", out var c) ? c.GetString()! : payload;
            Assert.Equal(canonical, Encoding.UTF8.GetString(Encode(value!)));
            var expected = vector.GetProperty("decoded");
            var actual = WireJson.ToElement(WireJson.Of(value!));
            Assert.True(WireJson.SemanticallyEqual(expected, actual), $"decoded as {actual}, expected {expected}");
        }
        else
        {
            Assert.False(ok, $"accepted as {value}");
            Assert.Equal(vector.GetProperty("error").GetString(), error!.CodeName);
            if (vector.TryGetProperty("field", out var field))
                Assert.Equal(field.GetString(), error.Field);
        }
    }

    [Theory]
    [MemberData(nameof(ContractVectors.TopicCases), MemberType = typeof(ContractVectors))]
    public void Topic_vector(string file, int index)
    {
        var vector = ContractVectors.Get(file, index);
        string topic = vector.GetProperty("topic").GetString()!;
        bool parsed = DeviceTopic.TryParse(topic, out var result);
        if (vector.GetProperty("valid").GetBoolean())
        {
            Assert.True(parsed);
            var decoded = vector.GetProperty("decoded");
            Assert.Equal(decoded.GetProperty("type").GetString(), WireNames.Of(result.Type));
            Assert.Equal(decoded.GetProperty("deviceId").GetString(), result.DeviceId);
            Assert.Equal(decoded.GetProperty("kind").GetString(), WireNames.Of(result.Kind));
            Assert.Equal(topic, result.ToString());
        }
        else
        {
            Assert.False(parsed, $"accepted as {result}");
            Assert.Equal("bad_topic", vector.GetProperty("error").GetString());
        }
    }

    private static (bool Ok, object? Value, WireError? Error) Decode(DeviceTopic topic, byte[] payload)
    {
        if (topic.Kind == MessageKind.Cmd)
        {
            var command = WireCodec.DecodeCommand(topic.Type, payload);
            return (command.Ok, command.Value, command.Error);
        }
        var message = WireCodec.DecodeReport(topic.Type, topic.Kind, payload);
        return (message.Ok, message.Value, message.Error);
    }

    private static byte[] Encode(object value) => value switch
    {
        DeviceCommand command => WireCodec.Encode(command),
        DeviceMessage message => WireCodec.Encode(message),
        _ => throw new ArgumentException($"unexpected {value.GetType().Name}", nameof(value)),
    };
}
