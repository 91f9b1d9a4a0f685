namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// daprd's "app channel": how a sidecar calls its app. Requests use paths relative to the app's root.
/// </summary>
public interface IAppChannel
{
    /// <summary>The app's port, or null when the app declared none: then there are no subscriptions,
    /// no input bindings and no hosted actors, exactly as with daprd.</summary>
    int? AppPort { get; }

    /// <summary>Sends a request to the app, adding <c>dapr-api-token</c> when the app has an
    /// APP_API_TOKEN. Callers copy <c>traceparent</c> and the other headers they are responsible for.</summary>
    Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken);
}
