using System.Text;
using DaprIoT.LocalRuntime.Bindings;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

public sealed class OutputBindingRequestTests
{
    private static OutputBindingRequest? Parse(string body, out string? error) =>
        OutputBindingRequest.Parse(Encoding.UTF8.GetBytes(body), out error);

    [Fact]
    public void Field_names_match_case_insensitively_and_later_duplicates_win_as_with_go()
    {
        var request = Parse("{\"Operation\":\"delete\",\"operation\":\"create\",\"METADATA\":{\"topic\":\"a/b\",\"x\":null},\"DaTa\":[1]}", out _)!;

        Assert.Equal("create", request.Operation);
        Assert.Equal(new Dictionary<string, string> { ["topic"] = "a/b", ["x"] = "" }, request.Metadata);
        Assert.Equal("[1]", Encoding.UTF8.GetString(GoJson.Marshal(request.Data)));
    }

    [Fact]
    public void Escapes_are_decoded_and_a_lone_surrogate_becomes_a_replacement_character_as_with_go()
    {
        var request = Parse("{\"metadata\":{\"to\\u0070ic\":\"a\\ud800\\/b\"},\"operation\":\"cre\\u0061te\"}", out _)!;

        Assert.Equal("create", request.Operation);
        Assert.Equal("a\uFFFD/b", request.Metadata["topic"]);
    }

    [Fact]
    public void A_null_body_is_an_empty_request_rather_than_malformed()
    {
        var request = Parse("null", out var error);

        Assert.Null(error);
        Assert.Equal("", request!.Operation);
    }

    [Theory]
    [InlineData("", "unexpected end of JSON input")]
    [InlineData("[1]", "cannot unmarshal array")]
    [InlineData("{\"operation\":1}", "OutputBindingRequest.operation")]
    [InlineData("{\"metadata\":{\"ttl\":60}}", "OutputBindingRequest.metadata of type string")]
    [InlineData("{\"metadata\":[]}", "map[string]string")]
    [InlineData("{\"data\":1e999}", "cannot unmarshal number 1e999")]
    [InlineData("{\"data\":1} trailing", "")]
    [InlineData("   ", "")]
    [InlineData("{\"data\":[1,]}", "")]
    public void Bodies_go_would_reject_are_malformed(string body, string reason)
    {
        Assert.Null(Parse(body, out var error));
        Assert.Contains(reason, error);
    }
}
