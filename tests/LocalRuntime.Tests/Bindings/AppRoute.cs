namespace DaprIoT.LocalRuntime.Tests.Bindings;

/// <summary>How <see cref="BindingTestApp"/> maps a binding's path: POST only (OPTIONS gets ASP.NET Core's 405) or POST and OPTIONS (200).</summary>
public enum AppRoute { PostOnly, OptionsAndPost }
