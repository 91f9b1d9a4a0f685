namespace DaprIoT.LocalRuntime.Hosting;

/// <summary>An app's command could not be started at all (missing executable, bad folder).</summary>
public sealed class AppStartException(string message) : Exception(message);
