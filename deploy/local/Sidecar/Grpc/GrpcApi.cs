using Google.Protobuf;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Sidecar.Grpc;

/// <summary>
/// The methods of daprd's gRPC API (<c>dapr.proto.runtime.v1.Dapr</c>) this sidecar serves. Each building block
/// adds its own in <see cref="ISidecarFeature.MapGrpc"/>, calling the same logic as its HTTP routes; a method nobody
/// adds answers UNIMPLEMENTED naming it. Messages are the official <c>Dapr.Protos</c> types.
/// </summary>
public sealed class GrpcApi
{
    private readonly Dictionary<string, Delegate> _unary = new(StringComparer.Ordinal);

    /// <summary>Serves the unary method <paramref name="name"/> (e.g. <c>GetState</c>). A <see cref="DaprApiException"/> becomes its gRPC status.</summary>
    public void MapUnary<TRequest, TResponse>(string name, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        if (!_unary.TryAdd(name, handler)) throw new InvalidOperationException($"gRPC method {name} is mapped twice");
    }

    internal Func<TRequest, ServerCallContext, Task<TResponse>>? UnaryHandler<TRequest, TResponse>(string name) =>
        _unary.GetValueOrDefault(name) as Func<TRequest, ServerCallContext, Task<TResponse>>;

    internal IEnumerable<string> Mapped => _unary.Keys;
}
