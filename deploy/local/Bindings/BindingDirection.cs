using DaprIoT.LocalRuntime.Components;

namespace DaprIoT.LocalRuntime.Bindings;

/// <summary>
/// The generic <c>direction</c> metadata daprd reads for every binding: absent means "whatever the component
/// supports, and probe the app with <c>OPTIONS</c> before reading"; <c>input</c>, <c>output</c> or
/// <c>input, output</c> limit the binding and, when input is listed, skip the probe.
/// </summary>
public sealed record BindingDirection(bool Input, bool Output, bool Explicit)
{
    public static BindingDirection Both { get; } = new(true, true, false);

    public static BindingDirection Parse(ComponentSpec component)
    {
        var key = component.Metadata.Keys.FirstOrDefault(k => k.Equals("direction", StringComparison.OrdinalIgnoreCase));
        if (key is null) return Both;
        bool input = false, output = false;
        foreach (var part in component.Metadata[key].Split(','))
        {
            switch (part.Trim().ToLowerInvariant())
            {
                case "input": input = true; break;
                case "output": output = true; break;
                case "": break;
                default:
                    throw component.Invalid(key, $"'{part.Trim()}' is not a direction; use input, output or \"input, output\"");
            }
        }
        if (!input && !output)
            throw component.Invalid(key, "names no direction; use input, output or \"input, output\"");
        return new BindingDirection(input, output, true);
    }
}
