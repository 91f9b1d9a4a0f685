using DaprIoT.TestSupport;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>The built services, found from the repository root (the firmware simulator: <see cref="FirmwareSimulator"/>).</summary>
public static class PlatformPaths
{
    public static string LightBulbDll => Service("LightBulb", "DaprIoT.LightBulb.dll");

    public static string SousVideDll => Service("SousVide", "DaprIoT.SousVide.dll");

    private static string Service(string folder, string dll)
    {
        var path = Path.Combine(RepositoryPaths.Root, "services", folder, "bin", RepositoryPaths.Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; run `dotnet build services/{folder} -c {RepositoryPaths.Configuration}`", path);
    }
}
