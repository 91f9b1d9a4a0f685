namespace DaprIoT.Dapr.Client;

public enum StateConsistency
{
    Eventual,
    Strong,
}
