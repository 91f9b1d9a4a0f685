using System.Net;
using System.Text.Json;

namespace DaprIoT.Dapr.Client;

/// <summary>
/// The sidecar (or, for pass-through calls, the target behind it) answered with a failure status.
/// Key on <see cref="StatusCode"/> first and <see cref="ErrorCode"/> second, as Dapr advises.
/// </summary>
public sealed class DaprApiException : Exception
{
    public DaprApiException(HttpStatusCode statusCode, string? errorCode, string message, string? responseBody = null)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        ResponseBody = responseBody;
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>Dapr's <c>errorCode</c> (e.g. <c>ERR_STATE_SAVE</c>), or null when the body was not a Dapr error.</summary>
    public string? ErrorCode { get; }

    /// <summary>The raw response body, kept for diagnostics.</summary>
    public string? ResponseBody { get; }

    /// <summary>True for the 409 daprd returns when an ETag does not match on save or delete.</summary>
    public bool IsETagMismatch => StatusCode == HttpStatusCode.Conflict;

    /// <summary>
    /// Reads a failed response (Dapr's <c>{"errorCode","message"}</c>, a ProblemDetails, or plain text) into an exception;
    /// useful after a pass-through <see cref="DaprSidecarClient.InvokeMethodAsync(HttpMethod, string, string, HttpContent?, IEnumerable{KeyValuePair{string, string}}?, CancellationToken)"/>.
    /// </summary>
    public static async Task<DaprApiException> FromResponseAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string? errorCode = null;
        string? message = null;
        if (body.Length > 0 && body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.TryGetProperty("errorCode", out var code) && code.ValueKind == JsonValueKind.String)
                {
                    errorCode = code.GetString();
                }

                if (document.RootElement.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    message = text.GetString();
                }
                else if (document.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
                {
                    message = detail.GetString();
                }
            }
            catch (JsonException)
            {
                // Not a Dapr error body; the raw text below is the best description we have.
            }
        }

        message ??= body.Length > 0 ? body : response.ReasonPhrase ?? "no response body";
        var status = (int)response.StatusCode;
        var description = errorCode is null
            ? $"{operation} failed with HTTP {status}: {message}"
            : $"{operation} failed with HTTP {status} {errorCode}: {message}";
        return new DaprApiException(response.StatusCode, errorCode, description, body);
    }
}
