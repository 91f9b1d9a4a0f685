namespace DaprIoT.Dapr.Client;

public sealed record ActiveActorsCount(string Type, int Count);
