namespace DaprIoT.DeviceServices.Tests.EndToEnd;

/// <summary>
/// End-to-end runs one at a time: each starts a runtime, two services, a broker and firmware devices, and on two
/// cores several at once would measure the machine rather than the platform.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "end to end";
}
