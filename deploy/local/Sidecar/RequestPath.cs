namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>The request path as daprd's router sees it: Go's <c>path.Clean</c>, then trailing slashes stripped.</summary>
public static class RequestPath
{
    public static string Clean(string path)
    {
        // Go's path.Clean: "" → ".", and a rooted path never climbs above "/". Request paths are always rooted.
        var segments = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            switch (segment)
            {
                case "" or ".":
                    continue;
                case "..":
                    if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                    continue;
                default:
                    segments.Add(segment);
                    continue;
            }
        }
        return "/" + string.Join('/', segments);
    }
}
