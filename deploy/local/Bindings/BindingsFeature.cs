using System.Net.Http.Headers;
using Dapr.Client.Autogen.Grpc.v1;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using DaprIoT.LocalRuntime.Components;
using DaprIoT.LocalRuntime.Configuration;
using DaprIoT.LocalRuntime.Resiliency;
using DaprIoT.LocalRuntime.Sidecar;
using DaprIoT.LocalRuntime.Sidecar.Grpc;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// The bindings building block of one sidecar, following daprd's <c>processor/binding</c>: the output binding
/// API (<c>POST|PUT /v1.0/bindings/{name}</c>) and, once the app is up, the input bindings it wants — probed with
/// <c>OPTIONS /{route}</c> unless <c>direction</c> names input — delivering each event as <c>POST /{route}</c>.
/// </summary>
public sealed partial class BindingsFeature : ISidecarFeature
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly SidecarContext _sidecar;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Binding> _bindings = new(StringComparer.Ordinal);
    private readonly Lock _readingLock = new();
    private readonly List<Binding> _reading = [];

    public BindingsFeature(SidecarContext sidecar)
    {
        _sidecar = sidecar;
        _logger = sidecar.LoggerFactory.CreateLogger("DaprIoT.LocalRuntime.Bindings");
        var clientIds = sidecar.Services.GetService<MqttClientIdRegistry>();
        foreach (var declared in sidecar.Components)
        {
            if (declared.Kind != "bindings" || !declared.IsVisibleTo(sidecar.AppId)) continue;
            try
            {
                var component = MetadataTemplates.Expand(declared, sidecar);
                var direction = BindingDirection.Parse(component);
                var routeKey = component.Metadata.Keys.FirstOrDefault(k => k == "route");
                var route = (routeKey is null ? null : component.GetString(routeKey)) ?? component.Name;
                var instance = Create(component, clientIds);
                _bindings[component.Name] = new Binding(component, direction, "/" + route.TrimStart('/'), instance);
                Log.Initialized(_logger, component.Name, component.Type, direction.Input, direction.Output);
            }
            catch (ConfigurationException e) when (declared.IgnoreErrors)
            {
                Log.IgnoredBrokenComponent(_logger, declared.Name, e.Message);
            }
        }
    }

    /// <summary>Counters of an input binding of this sidecar, or null when there is no such binding.</summary>
    public InputBindingCounters? CountersOf(string bindingName) =>
        _bindings.TryGetValue(bindingName, out var binding) ? binding.Instance.Counters : null;

    internal MqttConnection? ConsumerOf(string bindingName) =>
        _bindings.TryGetValue(bindingName, out var binding) ? (binding.Instance as MqttBinding)?.Consumer : null;

    /// <summary>Whether the input binding is reading for the app (false when the probe said no).</summary>
    public bool IsReading(string bindingName)
    {
        lock (_readingLock) return _reading.Any(b => b.Component.Name == bindingName);
    }

    public void MapRoutes(IEndpointRouteBuilder routes) =>
        routes.MapMethods("/v1.0/bindings/{name}", [HttpMethods.Post, HttpMethods.Put],
            (RequestDelegate)(http => InvokeOutputBindingAsync(http, (string)http.Request.RouteValues["name"]!)));

    /// <summary>gRPC <c>InvokeBinding</c>: the data is the caller's bytes as they are (HTTP's is JSON, marshalled as daprd does).</summary>
    public void MapGrpc(GrpcApi api) =>
        api.MapUnary<InvokeBindingRequest, InvokeBindingResponse>("InvokeBinding", async (request, call) =>
        {
            await InvokeOutputAsync(request.Name, request.Operation, request.Data.ToByteArray(),
                TraceMetadata(request.Metadata, call.RequestHeaders.GetValue(TraceContext.Header), call.RequestHeaders.GetValue("tracestate")),
                call.CancellationToken).ConfigureAwait(false);
            // bindings.mqtt3 answers nothing.
            return new InvokeBindingResponse();
        });

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_sidecar.App.AppPort is null)
        {
            if (_bindings.Values.Any(b => b.Direction.Input)) Log.NoAppChannel(_logger, _sidecar.AppId);
            return;
        }
        foreach (var binding in _bindings.Values.Where(b => b.Direction.Input))
        {
            if (!binding.Direction.Explicit && !await AppWantsAsync(binding, cancellationToken).ConfigureAwait(false))
                continue;
            if (await binding.Instance.StartReadingAsync((e, ct) => SendEventToAppAsync(binding, e, ct), cancellationToken)
                    .ConfigureAwait(false))
            {
                lock (_readingLock) _reading.Add(binding);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Binding[] reading;
        lock (_readingLock)
        {
            reading = [.. _reading];
            _reading.Clear();
        }
        await Task.WhenAll(reading.Select(b => b.Instance.StopReadingAsync(cancellationToken))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        foreach (var binding in _bindings.Values) await binding.Instance.DisposeAsync().ConfigureAwait(false);
        _bindings.Clear();
    }

    private IBindingComponent Create(ComponentSpec component, MqttClientIdRegistry? clientIds)
    {
        if (component.Type != "bindings.mqtt3")
            throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.type",
                $"'{component.Type}' is not a binding this runtime provides; it provides bindings.mqtt3");
        if (component.Version is not ("v1" or ""))
            throw new ConfigurationException(component.SourceFile, $"component '{component.Name}' spec.version",
                $"'{component.Version}' is not a version of bindings.mqtt3; use v1");
        var metadata = MqttBindingMetadata.Parse(component);
        return new MqttBinding(component.Name, $"{_sidecar.InstanceId} (binding {component.Name})", metadata, _logger, clientIds);
    }

    private async Task InvokeOutputBindingAsync(HttpContext http, string name)
    {
        var cancellationToken = http.RequestAborted;
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
        var request = OutputBindingRequest.Parse(body.GetBuffer().AsSpan(0, (int)body.Length), out var error);
        if (request is null)
        {
            await DaprErrors.WriteAsync(http, StatusCodes.Status400BadRequest, "ERR_MALFORMED_REQUEST",
                $"failed deserializing HTTP body: {error}").ConfigureAwait(false);
            return;
        }
        try
        {
            await InvokeOutputAsync(name, request.Operation, GoJson.Marshal(request.Data),
                TraceMetadata(request.Metadata, http.Request.Headers[TraceContext.Header], http.Request.Headers["tracestate"]), cancellationToken).ConfigureAwait(false);
        }
        catch (DaprApiException e)
        {
            await e.WriteAsync(http.Response, cancellationToken).ConfigureAwait(false);
            return;
        }
        // bindings.mqtt3 answers nothing, which daprd returns as 204.
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>daprd hands the request's trace context to the component as metadata.</summary>
    private static Dictionary<string, string> TraceMetadata(IReadOnlyDictionary<string, string> metadata, string? traceparent, string? tracestate)
    {
        var withTrace = new Dictionary<string, string>(metadata);
        if (!string.IsNullOrEmpty(traceparent)) withTrace[TraceContext.Header] = traceparent;
        if (!string.IsNullOrEmpty(tracestate)) withTrace["tracestate"] = tracestate;
        return withTrace;
    }

    /// <summary>
    /// Both doors' output binding call (HTTP <c>/v1.0/bindings/{name}</c>, gRPC <c>InvokeBinding</c>): any failure is
    /// daprd's <c>ERR_INVOKE_OUTPUT_BINDING</c>, 500 / INTERNAL.
    /// </summary>
    private async Task InvokeOutputAsync(string name, string operation, byte[] data, IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken)
    {
        try
        {
            await SendToOutputBindingAsync(name, operation, data, metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OutputBindingException or TimeoutException)
        {
            Log.OutputFailed(_logger, name, e.Message);
            throw new DaprApiException(500, Grpc.Core.StatusCode.Internal, "ERR_INVOKE_OUTPUT_BINDING", $"error invoking output binding {name}: {e.Message}");
        }
    }

    private async Task SendToOutputBindingAsync(
        string name, string operation, byte[] data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        // The checks and their order are daprd's (SendToOutputBinding).
        if (operation.Length == 0)
            throw new OutputBindingException("operation field is missing from request");
        if (!_bindings.TryGetValue(name, out var binding) || !binding.Direction.Output)
            throw new OutputBindingException($"couldn't find output binding {name}");
        var operations = binding.Instance.Operations;
        if (!operations.Contains(operation))
            throw new OutputBindingException(
                $"binding {name} does not support operation {operation}. supported operations:{string.Join(" ", operations)}");
        var invocation = new OutputBindingInvocation(operation, data, metadata);
        await PolicyRunner.RunAsync(_sidecar.Resiliency.ForComponentOutbound(name),
            ct => binding.Instance.InvokeAsync(invocation, ct), _sidecar.Clock, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> AppWantsAsync(Binding binding, CancellationToken cancellationToken)
    {
        using var probe = new HttpRequestMessage(HttpMethod.Options, new Uri(binding.Route, UriKind.Relative));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var response = await _sidecar.App.SendAsync(probe, timeout.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            // ASP.NET Core answers 405 for a path mapped only for POST: that app does want the binding.
            if (code / 100 == 2 || code == StatusCodes.Status405MethodNotAllowed) return true;
            Log.AppNotSubscribed(_logger, binding.Component.Name, code);
            return false;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.ProbeFailed(_logger, binding.Component.Name, binding.Route, e.Message);
            return false;
        }
    }

    private async Task SendEventToAppAsync(Binding binding, InputBindingEvent bindingEvent, CancellationToken cancellationToken)
    {
        // daprd opens one span per event (a new trace unless the event carried one) and sends it on every attempt.
        var traceparent = TraceContext.ChildOrNew(bindingEvent.Metadata.GetValueOrDefault(TraceContext.Header));
        using var response = await PolicyRunner.RunAsync(
            _sidecar.Resiliency.ForComponentInbound(binding.Component.Name),
            async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(binding.Route, UriKind.Relative))
                {
                    Content = new ByteArrayContent(bindingEvent.Data),
                };
                // daprd says application/json whatever the payload is.
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                foreach (var (key, value) in bindingEvent.Metadata) request.Headers.TryAddWithoutValidation(key, value);
                request.Headers.Remove(TraceContext.Header);
                request.Headers.TryAddWithoutValidation(TraceContext.Header, traceparent);
                return await _sidecar.App.SendAsync(request, ct).ConfigureAwait(false);
            },
            _sidecar.Clock, cancellationToken,
            // Under a retry policy daprd counts anything but 200 as a failed attempt; the final answer is judged on 2xx.
            isFailure: response => response.StatusCode != System.Net.HttpStatusCode.OK).ConfigureAwait(false);
        var code = (int)response.StatusCode;
        if (code is < 200 or > 299)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException(
                $"fails to send binding event to http app channel, status code: {code} body: {body}", null, response.StatusCode);
        }
    }

    private sealed record Binding(ComponentSpec Component, BindingDirection Direction, string Route, IBindingComponent Instance);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Successful init for binding {Name} ({Type}; input: {Input}, output: {Output})")]
        public static partial void Initialized(ILogger logger, string name, string type, bool input, bool output);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name} not loaded, ignoreErrors is set: {Problem}")]
        public static partial void IgnoredBrokenComponent(ILogger logger, string name, string problem);

        [LoggerMessage(Level = LogLevel.Information, Message = "App {AppId} has no app port: input bindings are not started")]
        public static partial void NoAppChannel(ILogger logger, string appId);

        [LoggerMessage(Level = LogLevel.Information, Message = "app has not subscribed to binding {Name} (OPTIONS answered {Status}).")]
        public static partial void AppNotSubscribed(ILogger logger, string name, int status);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Name} not started: could not invoke OPTIONS method on input binding subscription endpoint {Route}: {Reason}")]
        public static partial void ProbeFailed(ILogger logger, string name, string route, string reason);

        [LoggerMessage(Level = LogLevel.Debug, Message = "Output binding {Name} failed: {Reason}")]
        public static partial void OutputFailed(ILogger logger, string name, string reason);
    }
}
