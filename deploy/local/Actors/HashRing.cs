using System.Text;

namespace DaprIoT.LocalRuntime.Actors;

/// <summary>
/// A consistent-hash ring over the hosts of one actor type, like Dapr placement's table: each host owns
/// <see cref="VirtualNodes"/> points, an actor id belongs to the first point at or after its hash. Adding or
/// removing a host moves only the ids that hash next to its points; the ring depends only on the host ids,
/// so it is the same whatever order the hosts registered in.
/// </summary>
internal sealed class HashRing
{
    /// <summary>Dapr placement's default replication factor.</summary>
    public const int VirtualNodes = 100;

    private readonly ulong[] _points;
    private readonly ActorHost[] _owners;

    public HashRing(IEnumerable<ActorHost> hosts)
    {
        Hosts = [.. hosts.OrderBy(h => h.InstanceId, StringComparer.Ordinal)];
        var points = Hosts
            .SelectMany(host => Enumerable.Range(0, VirtualNodes).Select(i => (Hash($"{host.InstanceId}#{i}"), host)))
            .OrderBy(p => p.Item1)
            .ToArray();
        _points = [.. points.Select(p => p.Item1)];
        _owners = [.. points.Select(p => p.host)];
    }

    public IReadOnlyList<ActorHost> Hosts { get; }

    public ActorHost? Lookup(string actorId)
    {
        if (_points.Length == 0) return null;
        var index = Array.BinarySearch(_points, Hash(actorId));
        if (index < 0) index = ~index;
        return _owners[index == _points.Length ? 0 : index];
    }

    /// <summary>FNV-1a over UTF-8 with a SplitMix64 finish: stable across processes and platforms.</summary>
    internal static ulong Hash(string value)
    {
        var hash = 14695981039346656037UL;
        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> bytes = length <= 1024 ? stackalloc byte[length] : new byte[length];
        bytes = bytes[..Encoding.UTF8.GetBytes(value, bytes)];
        foreach (var b in bytes)
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9UL;
        hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebUL;
        return hash ^ (hash >> 31);
    }
}
