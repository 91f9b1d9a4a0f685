using System.Text.Json.Nodes;
using DaprIoT.LocalRuntime.PubSub;

namespace DaprIoT.LocalRuntime.Tests.PubSub;

public sealed class RouteExpressionTests
{
    private static readonly JsonObject Event = (JsonObject)JsonNode.Parse("""
        {"id":"1","type":"alarm","source":"bulb-7","topic":"device-events",
         "data":{"level":7,"kind":"temp","ok":true,"tags":["a","b"],"nested":{"x":"y"}}}
        """)!;

    [Theory]
    [InlineData("event.type == \"alarm\"", true)]
    [InlineData("event.type == 'alarm' && event.source != \"bulb-1\"", true)]
    [InlineData("event.type == \"other\" || event.data.kind == \"temp\"", true)]
    [InlineData("!(event.type == \"alarm\")", false)]
    [InlineData("event.data.level == 7", true)]
    [InlineData("event.data.level > 5.0", true)]
    [InlineData("int(event.data.level) >= 8", false)]
    [InlineData("event.data.ok", true)]
    [InlineData("event.data.ok == false", false)]
    [InlineData("event.data.nested.x == \"y\"", true)]
    [InlineData("event[\"type\"] == \"alarm\"", true)]
    [InlineData("\"a\" in event.data.tags", true)]
    [InlineData("event.type in [\"alarm\", \"fault\"]", true)]
    [InlineData("event.source.startsWith(\"bulb-\") && event.topic.endsWith(\"events\")", true)]
    [InlineData("has(event.data.kind) && !has(event.data.missing)", true)]
    [InlineData("size(event.data.tags) == 2", true)]
    [InlineData("event.data.missing == 1 || event.type == \"alarm\"", true)]
    [InlineData("event.type == \"alarm\" && event.data.level == \"7\"", false)]
    public void Supported_expressions_evaluate_as_CEL_does(string expression, bool expected) =>
        Assert.Equal(expected, RouteExpression.Parse(expression).Matches(Event));

    [Theory]
    [InlineData("event.data.missing == 1", "no such key: missing")]
    [InlineData("event.data.level > 5", "no such overload")]
    [InlineData("event.type", "not a bool")]
    [InlineData("event.data.kind.startsWith(1)", "no such overload")]
    public void Evaluation_errors_are_reported_not_treated_as_false(string expression, string message)
    {
        var error = Assert.Throws<RouteEvaluationException>(() => RouteExpression.Parse(expression).Matches(Event));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("event.type = \"alarm\"", "'='")]
    [InlineData("event.data.level + 1 > 2", "'+'")]
    [InlineData("request.type == \"x\"", "'request' is not known")]
    [InlineData("event.type.lowerAscii() == \"x\"", "'lowerAscii' is not supported")]
    [InlineData("event.type == \"alarm", "not closed")]
    [InlineData("(event.type == \"alarm\"", "expected ')'")]
    [InlineData("event.type ==", "ends too early")]
    public void Unsupported_or_broken_expressions_are_rejected_when_parsed(string expression, string message)
    {
        var error = Assert.Throws<FormatException>(() => RouteExpression.Parse(expression));
        Assert.Contains(message, error.Message);
    }
}
