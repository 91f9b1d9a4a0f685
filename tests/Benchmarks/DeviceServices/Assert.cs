namespace Xunit;

/// <summary>
/// The one assertion the linked test fixture makes (<c>DevicePlatform.ProvisionAsync</c>), for a program that has no
/// test framework: a failed check is a setup error and ends the benchmark.
/// </summary>
internal static class Assert
{
    public static void True(bool condition, string? userMessage)
    {
        if (!condition) throw new InvalidOperationException(userMessage ?? "check failed");
    }
}
