namespace DaprIoT.Deployment.Tests.Policies;

public static class PolicyAssert
{
    /// <summary>Fails with every problem on its own line, each naming file, object and field.</summary>
    public static void None(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        Assert.True(list.Count == 0, $"{list.Count} problem(s):\n{string.Join("\n", list)}");
    }
}
