namespace DaprIoT.ConformanceApp;

/// <summary>Targets for service invocation tests: an echo of the whole request and a status of the caller's choice.</summary>
public static class InvocationApi
{
    public static void MapConformanceInvocation(this IEndpointRouteBuilder api, ConformanceSettings settings)
    {
        api.Map("/echo/{**rest}", (Func<HttpContext, Task<IResult>>)EchoAsync);
        api.Map("/status/{code:int}", (int code, HttpContext context) => code is < 200 or > 599
            ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Unusable status", detail: $"Status {code} is outside 200-599.")
            : Results.Problem(statusCode: code, title: $"Status {code} on request", detail: $"{context.Request.Method} {context.Request.Path} answered {code} as asked."));
        api.MapGet("/pid", (StartupState startup) =>
            Results.Json(new { pid = Environment.ProcessId, instance = settings.Instance, waitedForSidecar = startup.WaitedForSidecar }));
    }

    private static async Task<IResult> EchoAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        return Results.Json(new
        {
            method = context.Request.Method,
            path = context.Request.Path.Value,
            query = context.Request.QueryString.Value,
            body,
            headers = context.Request.Headers.ToDictionary(header => header.Key.ToLowerInvariant(), header => header.Value.ToString()),
        });
    }
}
