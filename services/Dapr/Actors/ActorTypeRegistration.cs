namespace DaprIoT.Dapr.Actors;

internal sealed record ActorTypeRegistration(string TypeName, Type ClrType, ActorTypeOptions Options);
