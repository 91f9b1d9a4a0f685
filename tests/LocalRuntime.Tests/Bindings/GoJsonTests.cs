using System.Text;
using DaprIoT.LocalRuntime.Bindings;

namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>Expected strings are what Go's <c>json.Marshal</c> prints for the value <c>json.Unmarshal</c> made of the input.</summary>
public sealed class GoJsonTests
{
    [Theory]
    [InlineData("\"21.5\"", "\"21.5\"")]
    [InlineData("21.50", "21.5")]
    [InlineData("100", "100")]
    [InlineData("-0", "-0")]
    [InlineData("1E2", "100")]
    [InlineData("123456789012345678", "123456789012345680")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1.5e300", "1.5e+300")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("-1.25e-10", "-1.25e-10")]
    [InlineData("0.1", "0.1")]
    [InlineData("{ \"b\" : 1 , \"a\" : [ true , null ] }", "{\"a\":[true,null],\"b\":1}")]
    [InlineData("{\"k\":1,\"k\":2}", "{\"k\":2}")]
    [InlineData("{\"é\":1,\"z\":2,\"Z\":3}", "{\"Z\":3,\"z\":2,\"é\":1}")]
    [InlineData("\"<a href='x'>&</a>\"", "\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\"")]
    [InlineData("\"line\\nbreak\\ttab\\u0001\\b\\f\\/\"", "\"line\\nbreak\\ttab\\u0001\\b\\f/\"")]
    [InlineData("\"\\u2028\\u2029 ünï 😀\"", "\"\\u2028\\u2029 ünï 😀\"")]
    [InlineData("\"a\\ud800b\"", "\"a\ufffdb\"")]
    [InlineData("{\"\\udc00\":1}", "{\"\ufffd\":1}")]
    public void Values_are_re_encoded_like_go_encoding_json(string input, string expected)
    {
        var value = GoJsonValue.Parse(Encoding.UTF8.GetBytes(input));

        Assert.Equal(expected, Encoding.UTF8.GetString(GoJson.Marshal(value)));
    }

    [Fact]
    public void Missing_data_is_encoded_as_null()
    {
        Assert.Equal("null", Encoding.UTF8.GetString(GoJson.Marshal(null)));
    }
}
