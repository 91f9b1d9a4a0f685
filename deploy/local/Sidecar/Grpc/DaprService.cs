namespace DaprIoT.LocalRuntime.Sidecar.Grpc;

/// <summary>
/// The service instance Grpc.AspNetCore binds <c>dapr.proto.runtime.v1.Dapr</c> to. <c>Dapr.Protos</c> ships no server
/// base class, so <see cref="DaprServiceMethodProvider"/> binds every method itself; the handlers live in the
/// building blocks, reached through <see cref="GrpcApi"/>.
/// </summary>
public sealed class DaprService;
