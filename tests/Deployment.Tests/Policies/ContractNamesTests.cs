using System.Reflection;
using DaprIoT.Contracts;
using DaprIoT.Deployment.Tests.Rendering;

namespace DaprIoT.Deployment.Tests.Policies;

/// <summary>The names the services' code uses (services/Contracts/PlatformNames.cs) are the ones deployed.</summary>
public sealed class ContractNamesTests
{
    private static IEnumerable<string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_app_id_of_the_code_is_deployed_and_nothing_else(string overlay)
    {
        var platform = new Platform(overlay);
        Assert.Equal(Constants(typeof(AppIds)).Order(), platform.AppIds.Order());
    }

    [Theory]
    [MemberData(nameof(Overlays.All), MemberType = typeof(Overlays))]
    public void Every_component_name_of_the_code_is_a_rendered_component(string overlay)
    {
        var names = new Platform(overlay).Components.Select(c => c.Name).ToHashSet();
        foreach (var name in Constants(typeof(ComponentNames)))
            Assert.True(names.Contains(name), $"overlay {overlay}: the code uses component '{name}' (ComponentNames), which it does not render");
    }
}
