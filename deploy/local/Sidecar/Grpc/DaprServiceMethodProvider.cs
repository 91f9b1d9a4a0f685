using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace DaprIoT.LocalRuntime.Sidecar.Grpc;

/// <summary>
/// Binds every method of <c>dapr.proto.runtime.v1.Dapr</c>, read from <c>Dapr.Protos</c>' own file descriptor, so the
/// sidecar speaks exactly the official messages: a method a building block mapped in <see cref="GrpcApi"/> runs its
/// handler; any other answers UNIMPLEMENTED naming the method. Every call first passes daprd's API token check
/// (<c>pkg/api/grpc/auth.go</c>), and a <see cref="DaprApiException"/> becomes its gRPC status.
/// </summary>
internal sealed class DaprServiceMethodProvider(GrpcApi api, SidecarSettings settings) : IServiceMethodProvider<DaprService>
{
    private static readonly MethodInfo BindMethod =
        typeof(DaprServiceMethodProvider).GetMethod(nameof(Bind), BindingFlags.NonPublic | BindingFlags.Instance)!;

    private readonly byte[]? _token = string.IsNullOrEmpty(settings.DaprApiToken) ? null : Encoding.UTF8.GetBytes(settings.DaprApiToken);

    public static Google.Protobuf.Reflection.ServiceDescriptor Service { get; } = DaprReflection.Descriptor.Services.Single(s => s.Name == "Dapr");

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprService> context)
    {
        foreach (var method in Service.Methods)
        {
            BindMethod.MakeGenericMethod(method.InputType.ClrType, method.OutputType.ClrType).Invoke(this, [context, method]);
        }
    }

    private void Bind<TRequest, TResponse>(ServiceMethodProviderContext<DaprService> context, MethodDescriptor descriptor)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        var type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var method = new Method<TRequest, TResponse>(type, Service.FullName, descriptor.Name, Marshaller<TRequest>(), Marshaller<TResponse>());
        var name = descriptor.Name;
        List<object> metadata = [];
        switch (type)
        {
            case MethodType.Unary:
                var handler = api.UnaryHandler<TRequest, TResponse>(name);
                context.AddUnaryMethod(method, metadata, async (_, request, call) =>
                {
                    Authorize(call);
                    if (handler is null) throw Unimplemented(name);
                    try
                    {
                        return await handler(request, call);
                    }
                    catch (DaprApiException e)
                    {
                        throw e.ToRpcException();
                    }
                });
                break;
            case MethodType.ServerStreaming:
                context.AddServerStreamingMethod(method, metadata, (_, _, _, call) => Refuse(call, name));
                break;
            case MethodType.ClientStreaming:
                context.AddClientStreamingMethod(method, metadata, (_, _, call) => Refuse<TResponse>(call, name));
                break;
            default:
                context.AddDuplexStreamingMethod(method, metadata, (_, _, _, call) => Refuse(call, name));
                break;
        }
    }

    private Task Refuse(ServerCallContext call, string name) => Refuse<bool>(call, name);

    private Task<T> Refuse<T>(ServerCallContext call, string name)
    {
        Authorize(call);
        throw Unimplemented(name);
    }

    /// <summary>daprd's gRPC token check: a missing or different <c>dapr-api-token</c> is UNAUTHENTICATED.</summary>
    private void Authorize(ServerCallContext call)
    {
        if (_token is null) return;
        var given = call.RequestHeaders.GetValue(ApiTokenCheck.Header);
        if (given is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, "missing api token in request metadata"));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "authentication error: api token mismatch"));
    }

    private static RpcException Unimplemented(string name) =>
        new(new Status(StatusCode.Unimplemented, $"{Service.FullName}/{name} is not implemented by dapr-local"));

    private static Marshaller<T> Marshaller<T>() where T : class, IMessage<T>, new()
    {
        var parser = new MessageParser<T>(() => new T());
        return Marshallers.Create<T>(
            (message, context) =>
            {
                context.SetPayloadLength(message.CalculateSize());
                message.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
    }
}
