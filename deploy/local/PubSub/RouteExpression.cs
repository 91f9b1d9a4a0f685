using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DaprIoT.LocalRuntime.PubSub;

/// <summary>
/// The part of CEL that routing rules use, over the variable <c>event</c> (the CloudEvent as a map):
/// member access (<c>event.data.kind</c>, <c>event["type"]</c>), literals (strings, ints, doubles, bools, null,
/// lists), <c>== != &lt; &lt;= &gt; &gt;= in</c>, <c>&amp;&amp; || !</c>, parentheses, <c>has()</c>,
/// <c>int() double() string() size()</c> and the string methods <c>startsWith endsWith contains matches</c>.
/// Anything else is rejected when the subscription is created. Evaluation follows CEL: JSON numbers are
/// doubles, a missing key or a mixed-type ordering is an error, and <c>&amp;&amp;</c>/<c>||</c> absorb an error
/// when the other side decides the result.
/// </summary>
public sealed class RouteExpression
{
    private readonly Node _root;

    private RouteExpression(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; a <see cref="FormatException"/> says what is not supported and where.</summary>
    public static RouteExpression Parse(string text)
    {
        var parser = new Parser(Tokenize(text));
        var root = parser.ParseExpression();
        parser.ExpectEnd();
        return new RouteExpression(text, root);
    }

    /// <summary>Evaluates against a CloudEvent; throws <see cref="RouteEvaluationException"/> where CEL reports an error.</summary>
    public bool Matches(JsonObject cloudEvent) =>
        Eval(_root, cloudEvent) switch
        {
            bool result => result,
            CelError error => throw new RouteEvaluationException($"'{Text}': {error.Message}"),
            var other => throw new RouteEvaluationException($"'{Text}' evaluated to {Describe(other)}, not a bool"),
        };

    // ---- evaluation -------------------------------------------------------------------------------------
    // Values: string, long, double, bool, CelNull, JsonObject (map), List<object> (list), CelError.

    private sealed record CelError(string Message);
    private sealed record CelNull;
    private static readonly CelNull Null = new();

    private static object Eval(Node node, JsonObject cloudEvent) => node switch
    {
        Literal literal => literal.Value,
        EventRef => cloudEvent,
        ListNode list => list.Items.Select(i => Eval(i, cloudEvent)).ToList() is var items
            && items.OfType<CelError>().FirstOrDefault() is { } itemError ? itemError : items,
        Select select => SelectMember(Eval(select.Target, cloudEvent), select.Field),
        Index index => SelectMember(Eval(index.Target, cloudEvent), Eval(index.Key, cloudEvent)),
        Has has => Eval(has.Target, cloudEvent) switch
        {
            CelError error => error,
            JsonObject map => map.ContainsKey(has.Field),
            var other => new CelError($"has() needs a map, not {Describe(other)}"),
        },
        Not not => Eval(not.Operand, cloudEvent) switch
        {
            bool b => !b,
            CelError error => error,
            var other => new CelError($"no such overload: !{Describe(other)}"),
        },
        Negate negate => Eval(negate.Operand, cloudEvent) switch
        {
            long l => -l,
            double d => -d,
            CelError error => error,
            var other => new CelError($"no such overload: -{Describe(other)}"),
        },
        Logical logical => EvalLogical(logical, cloudEvent),
        Binary binary => Compare(binary.Op, Eval(binary.Left, cloudEvent), Eval(binary.Right, cloudEvent)),
        Call call => Invoke(call.Name, call.Target is null ? null : Eval(call.Target, cloudEvent),
            call.Arguments.Select(a => Eval(a, cloudEvent)).ToList()),
        _ => new CelError("unsupported expression"),
    };

    private static object EvalLogical(Logical logical, JsonObject cloudEvent)
    {
        var decisive = logical.Op == "||";
        var left = Eval(logical.Left, cloudEvent);
        if (left is bool l && l == decisive) return decisive;
        var right = Eval(logical.Right, cloudEvent);
        if (right is bool r && r == decisive) return decisive;
        if (left is CelError || right is CelError) return left as CelError ?? (CelError)right;
        if (left is bool && right is bool) return !decisive;
        return new CelError($"no such overload: {Describe(left)} {logical.Op} {Describe(right)}");
    }

    private static object SelectMember(object target, object key)
    {
        if (target is CelError error) return error;
        if (key is CelError keyError) return keyError;
        if (target is JsonObject map && key is string name)
            return map.TryGetPropertyValue(name, out var value) ? FromJson(value) : new CelError($"no such key: {name}");
        if (target is List<object> list && key is long or double)
        {
            var i = Convert.ToDouble(key, CultureInfo.InvariantCulture);
            return i >= 0 && i < list.Count && i == Math.Floor(i) ? list[(int)i] : new CelError($"index out of range: {i}");
        }
        return new CelError($"no such overload: {Describe(target)}[{Describe(key)}]");
    }

    private static object FromJson(JsonNode? node) => node switch
    {
        null => Null,
        JsonObject map => map,
        JsonArray array => array.Select(FromJson).ToList(),
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.GetValue<double>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => Null,
        },
        _ => Null,
    };

    private static object Compare(string op, object left, object right)
    {
        if (left is CelError) return left;
        if (right is CelError) return right;
        switch (op)
        {
            case "==": return CelEquals(left, right);
            case "!=": return !CelEquals(left, right);
            case "in":
                return right switch
                {
                    List<object> list => list.Any(item => CelEquals(left, item)),
                    JsonObject map when left is string key => map.ContainsKey(key),
                    _ => new CelError($"no such overload: {Describe(left)} in {Describe(right)}"),
                };
        }
        int? order = (left, right) switch
        {
            (long a, long b) => a.CompareTo(b),
            (double a, double b) => a.CompareTo(b),
            (string a, string b) => string.CompareOrdinal(a, b),
            (bool a, bool b) => a.CompareTo(b),
            _ => null,
        };
        if (order is not { } c) return new CelError($"no such overload: {Describe(left)} {op} {Describe(right)}");
        return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
    }

    private static bool CelEquals(object left, object right) => (left, right) switch
    {
        (long a, long b) => a == b,
        (long a, double b) => a == b,
        (double a, long b) => a == b,
        (double a, double b) => a == b,
        (string a, string b) => a == b,
        (bool a, bool b) => a == b,
        (CelNull, CelNull) => true,
        (List<object> a, List<object> b) => a.Count == b.Count && a.Zip(b).All(p => CelEquals(p.First, p.Second)),
        (JsonObject a, JsonObject b) => JsonNode.DeepEquals(a, b),
        _ => false,
    };

    private static object Invoke(string name, object? target, List<object> args)
    {
        if (target is CelError targetError) return targetError;
        if (args.OfType<CelError>().FirstOrDefault() is { } argError) return argError;
        return (name, target, args) switch
        {
            ("int", null, [long l]) => l,
            ("int", null, [double d]) => (long)Math.Truncate(d),
            ("int", null, [string s]) when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
            ("double", null, [double d]) => d,
            ("double", null, [long l]) => (double)l,
            ("double", null, [string s]) when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            ("string", null, [string s]) => s,
            ("string", null, [long l]) => l.ToString(CultureInfo.InvariantCulture),
            ("string", null, [double d]) => d.ToString(CultureInfo.InvariantCulture),
            ("string", null, [bool b]) => b ? "true" : "false",
            ("size", null, [var value]) => Size(value),
            ("size", not null, []) => Size(target),
            ("startsWith", string s, [string p]) => s.StartsWith(p, StringComparison.Ordinal),
            ("endsWith", string s, [string p]) => s.EndsWith(p, StringComparison.Ordinal),
            ("contains", string s, [string p]) => s.Contains(p, StringComparison.Ordinal),
            ("matches", string s, [string p]) => Regex.IsMatch(s, p, RegexOptions.None, TimeSpan.FromSeconds(1)),
            _ => new CelError($"no such overload: {name}({string.Join(", ", args.Select(Describe))})"),
        };
    }

    private static object Size(object value) => value switch
    {
        string s => (long)s.EnumerateRunes().Count(),
        List<object> list => (long)list.Count,
        JsonObject map => (long)map.Count,
        _ => new CelError($"no such overload: size({Describe(value)})"),
    };

    private static string Describe(object value) => value switch
    {
        string => "string",
        long => "int",
        double => "double",
        bool => "bool",
        CelNull => "null",
        JsonObject => "map",
        List<object> => "list",
        CelError error => error.Message,
        _ => value.GetType().Name,
    };

    // ---- syntax -----------------------------------------------------------------------------------------

    private abstract record Node;
    private sealed record Literal(object Value) : Node;
    private sealed record EventRef : Node;
    private sealed record ListNode(List<Node> Items) : Node;
    private sealed record Select(Node Target, string Field) : Node;
    private sealed record Index(Node Target, Node Key) : Node;
    private sealed record Has(Node Target, string Field) : Node;
    private sealed record Not(Node Operand) : Node;
    private sealed record Negate(Node Operand) : Node;
    private sealed record Logical(string Op, Node Left, Node Right) : Node;
    private sealed record Binary(string Op, Node Left, Node Right) : Node;
    private sealed record Call(string Name, Node? Target, List<Node> Arguments) : Node;

    private enum TokenKind { Identifier, String, Int, Double, Symbol, End }

    private sealed record Token(TokenKind Kind, string Text, object? Value, int Position);

    private static readonly string[] Symbols = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "-"];

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], null, start));
            }
            else if (char.IsDigit(c))
            {
                while (i < text.Length && char.IsDigit(text[i])) i++;
                var isDouble = false;
                if (i + 1 < text.Length && text[i] == '.' && char.IsDigit(text[i + 1]))
                {
                    isDouble = true;
                    i++;
                    while (i < text.Length && char.IsDigit(text[i])) i++;
                }
                if (i < text.Length && text[i] is 'e' or 'E')
                {
                    isDouble = true;
                    i++;
                    if (i < text.Length && text[i] is '+' or '-') i++;
                    while (i < text.Length && char.IsDigit(text[i])) i++;
                }
                var literal = text[start..i];
                tokens.Add(isDouble
                    ? new Token(TokenKind.Double, literal, double.Parse(literal, CultureInfo.InvariantCulture), start)
                    : new Token(TokenKind.Int, literal, long.Parse(literal, CultureInfo.InvariantCulture), start));
            }
            else if (c is '"' or '\'')
            {
                var value = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length) throw Error(start, "a string literal is not closed");
                    var ch = text[i++];
                    if (ch == c) break;
                    if (ch != '\\') { value.Append(ch); continue; }
                    if (i >= text.Length) throw Error(start, "a string literal is not closed");
                    var escaped = text[i++];
                    value.Append(escaped switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => escaped });
                }
                tokens.Add(new Token(TokenKind.String, text[start..i], value.ToString(), start));
            }
            else if (Symbols.FirstOrDefault(s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0) is { } symbol)
            {
                i += symbol.Length;
                tokens.Add(new Token(TokenKind.Symbol, symbol, null, start));
            }
            else
            {
                throw Error(start, $"'{c}' is not supported in routing rules");
            }
        }
        tokens.Add(new Token(TokenKind.End, "", null, text.Length));
        return tokens;
    }

    private static FormatException Error(int position, string problem) => new($"{problem} (at character {position + 1})");

    private sealed class Parser(List<Token> tokens)
    {
        private static readonly HashSet<string> Functions = ["int", "double", "string", "size"];
        private static readonly HashSet<string> Methods = ["startsWith", "endsWith", "contains", "matches", "size"];
        private int _next;

        private Token Peek => tokens[_next];

        public void ExpectEnd()
        {
            if (Peek.Kind != TokenKind.End) throw Error(Peek.Position, $"unexpected '{Peek.Text}'");
        }

        public Node ParseExpression() => ParseOr();

        private Node ParseOr()
        {
            var left = ParseAnd();
            while (Accept("||")) left = new Logical("||", left, ParseAnd());
            return left;
        }

        private Node ParseAnd()
        {
            var left = ParseRelation();
            while (Accept("&&")) left = new Logical("&&", left, ParseRelation());
            return left;
        }

        private Node ParseRelation()
        {
            var left = ParseUnary();
            foreach (var op in (string[])["==", "!=", "<=", ">=", "<", ">"])
                if (Accept(op)) return new Binary(op, left, ParseUnary());
            if (Peek is { Kind: TokenKind.Identifier, Text: "in" })
            {
                _next++;
                return new Binary("in", left, ParseUnary());
            }
            return left;
        }

        private Node ParseUnary()
        {
            if (Accept("!")) return new Not(ParseUnary());
            if (Accept("-")) return new Negate(ParseUnary());
            return ParseMember();
        }

        private Node ParseMember()
        {
            var node = ParsePrimary();
            while (true)
            {
                if (Accept("."))
                {
                    var name = ExpectIdentifier();
                    if (Accept("("))
                    {
                        if (!Methods.Contains(name)) throw Error(tokens[_next - 2].Position, $"the method '{name}' is not supported in routing rules");
                        node = new Call(name, node, ParseArguments());
                    }
                    else
                    {
                        node = new Select(node, name);
                    }
                }
                else if (Accept("["))
                {
                    var key = ParseExpression();
                    Expect("]");
                    node = new Index(node, key);
                }
                else
                {
                    return node;
                }
            }
        }

        private Node ParsePrimary()
        {
            var token = Peek;
            _next++;
            switch (token.Kind)
            {
                case TokenKind.String:
                case TokenKind.Int:
                case TokenKind.Double:
                    return new Literal(token.Value!);
                case TokenKind.Symbol when token.Text == "(":
                    var inner = ParseExpression();
                    Expect(")");
                    return inner;
                case TokenKind.Symbol when token.Text == "[":
                    var items = new List<Node>();
                    if (!Accept("]"))
                    {
                        do items.Add(ParseExpression()); while (Accept(","));
                        Expect("]");
                    }
                    return new ListNode(items);
                case TokenKind.Identifier:
                    switch (token.Text)
                    {
                        case "true": return new Literal(true);
                        case "false": return new Literal(false);
                        case "null": return new Literal(Null);
                        case "event": return new EventRef();
                        case "has":
                            Expect("(");
                            var target = ParseMember();
                            Expect(")");
                            return target is Select select
                                ? new Has(select.Target, select.Field)
                                : throw Error(token.Position, "has() needs a field selection such as has(event.data.kind)");
                    }
                    if (Functions.Contains(token.Text) && Accept("(")) return new Call(token.Text, null, ParseArguments());
                    throw Error(token.Position, $"'{token.Text}' is not known here: routing rules can only read 'event'");
                default:
                    throw Error(token.Position, token.Kind == TokenKind.End ? "the expression ends too early" : $"unexpected '{token.Text}'");
            }
        }

        private List<Node> ParseArguments()
        {
            var arguments = new List<Node>();
            if (Accept(")")) return arguments;
            do arguments.Add(ParseExpression()); while (Accept(","));
            Expect(")");
            return arguments;
        }

        private string ExpectIdentifier()
        {
            if (Peek.Kind != TokenKind.Identifier) throw Error(Peek.Position, $"expected a field name, found '{Peek.Text}'");
            return tokens[_next++].Text;
        }

        private void Expect(string symbol)
        {
            if (!Accept(symbol)) throw Error(Peek.Position, $"expected '{symbol}', found '{(Peek.Kind == TokenKind.End ? "the end" : Peek.Text)}'");
        }

        private bool Accept(string symbol)
        {
            if (Peek.Kind != TokenKind.Symbol || Peek.Text != symbol) return false;
            _next++;
            return true;
        }
    }
}
