namespace DaprIoT.DeviceManagement.Tests.Platform;

/// <summary>
/// Every platform test shares one <see cref="DeviceManagementPlatform"/> (a runtime, five apps and a broker take a while
/// to start on two cores), one test at a time; each test works with users and devices of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PlatformCollection : ICollectionFixture<DeviceManagementPlatform>
{
    public const string Name = "device-management platform";
}
