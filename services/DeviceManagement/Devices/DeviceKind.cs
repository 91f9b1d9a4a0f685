using DaprIoT.Contracts;

namespace DaprIoT.DeviceManagement.Devices;

/// <summary>A device type as the API names it (<c>lightbulb</c>, <c>sousvide</c>, the wire names), its actor type and id prefix.</summary>
public sealed record DeviceKind(string Name, string ActorType, string IdPrefix, IReadOnlyList<string> WritableProperties)
{
    public static readonly DeviceKind LightBulb = new("lightbulb", ActorTypes.LightBulb, "bulb", ["power", "brightnessPct", "colorTempK"]);

    public static readonly DeviceKind SousVide = new("sousvide", ActorTypes.SousVide, "cooker", ["heater", "targetTempC"]);

    public static readonly IReadOnlyList<DeviceKind> All = [LightBulb, SousVide];

    public static DeviceKind? Find(string? name) => All.FirstOrDefault(kind => kind.Name == name);

    /// <summary>A new device id: the prefix and 12 random lowercase letters and digits (about 62 bits).</summary>
    public string NewDeviceId() =>
        $"{IdPrefix}-{new string(System.Security.Cryptography.RandomNumberGenerator.GetItems<char>("abcdefghijklmnopqrstuvwxyz0123456789", 12))}";
}
