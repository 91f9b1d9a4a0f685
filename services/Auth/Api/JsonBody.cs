using System.Text.Json;
using DaprIoT.Contracts;

namespace DaprIoT.Auth.Api;

/// <summary>
/// Reads a JSON request body, turning what the framework would answer with a bare 400 — not JSON, a field of the wrong
/// type — into errors that name the field (the JSON path of the bad value), like every other validation error.
/// </summary>
internal static class JsonBody
{
    public static async Task<(T? Body, Dictionary<string, string[]> Errors)> ReadAsync<T>(HttpRequest request,
        CancellationToken cancellationToken) where T : class
    {
        if (!request.HasJsonContentType())
            return (null, new() { ["body"] = ["Send a JSON object with Content-Type: application/json."] });
        try
        {
            var body = await request.ReadFromJsonAsync<T>(ContractJson.Options, cancellationToken);
            return body is null ? (null, new() { ["body"] = ["Must be a JSON object, not null."] }) : (body, []);
        }
        catch (JsonException e)
        {
            return (null, new() { [FieldOf(e.Path)] = ["Not valid here: expected a JSON object with string fields."] });
        }
    }

    /// <summary>"$.email" → "email"; the whole body ("$" or no path) → "body".</summary>
    private static string FieldOf(string? path) =>
        path is null || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
}
