namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>
/// A sidecar's web host must not react to SIGINT/SIGTERM itself (ConsoleLifetime would): the runtime stops
/// features and apps first, then the sidecar servers.
/// </summary>
internal sealed class RuntimeControlledLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
