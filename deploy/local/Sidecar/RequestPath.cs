namespace DaprIoT.LocalRuntime.Sidecar;

/// <summary>The request path as daprd's router sees it: Go's <c>path.Clean</c>, then trailing slashes stripped.</summary>
public static class RequestPath
{
    public static string Clean(string path)
    {
        if (IsClean(path)) return path; // nearly every request: nothing to split and join again
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

    /// <summary>Rooted, with no empty, <c>.</c> or <c>..</c> segment and no trailing slash: what cleaning leaves as it is.</summary>
    private static bool IsClean(string path)
    {
        if (path.Length == 0 || path[0] != '/') return false;
        if (path.Length == 1) return true;
        var start = 1;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0) end = path.Length;
            var segment = path.AsSpan(start, end - start);
            if (segment.IsEmpty || segment is "." || segment is "..") return false;
            start = end + 1;
        }
        return true;
    }
}
