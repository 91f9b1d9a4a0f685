namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>Finds the executable file a command names, as a shell or the Dapr CLI's <c>exec.LookPath</c> does.</summary>
internal static class Executables
{
    /// <summary>
    /// A path as it is, a bare name searched on dapr-local's PATH and then in <paramref name="alsoIn"/>; null when there
    /// is no such executable file.
    /// </summary>
    public static string? Find(string command, params IEnumerable<string> alsoIn) =>
        command.Contains('/')
            ? (IsExecutable(command) ? command : null)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(alsoIn)
                .Select(folder => Path.Combine(folder, command))
                .FirstOrDefault(IsExecutable);

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (OperatingSystem.IsWindows() ||
            (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);
}
