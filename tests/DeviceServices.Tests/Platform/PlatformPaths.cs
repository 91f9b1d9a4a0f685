using DaprIoT.TestSupport;

namespace DaprIoT.DeviceServices.Tests.Platform;

/// <summary>The built services and the firmware simulator, found from the repository root.</summary>
public static class PlatformPaths
{
    public static string LightBulbDll => Service("LightBulb", "DaprIoT.LightBulb.dll");

    public static string SousVideDll => Service("SousVide", "DaprIoT.SousVide.dll");

    /// <summary>The firmware host build (<c>cmake --build firmware/build --target dapriot-devices</c>; test.sh and run.sh build it).</summary>
    public static string DeviceSimulator
    {
        get
        {
            var path = Path.Combine(RepositoryPaths.Root, "firmware", "build", "ports", "host", "dapriot-devices");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"{path} is not built; run `cmake -S firmware -B firmware/build && cmake --build firmware/build --target dapriot-devices`", path);
        }
    }

    private static string Service(string folder, string dll)
    {
        var path = Path.Combine(RepositoryPaths.Root, "services", folder, "bin", RepositoryPaths.Configuration, "net10.0", dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; run `dotnet build services/{folder} -c {RepositoryPaths.Configuration}`", path);
    }
}
