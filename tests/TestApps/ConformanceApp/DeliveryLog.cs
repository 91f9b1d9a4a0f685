namespace DaprIoT.ConformanceApp;

/// <summary>Every delivery this process received, and how often each message key was seen.</summary>
public sealed class DeliveryLog
{
    private readonly List<Delivery> _deliveries = [];
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Counts one more delivery of <paramref name="key"/> and returns the count including it.</summary>
    public int CountDelivery(string key)
    {
        lock (_gate)
        {
            var count = _counts.GetValueOrDefault(key) + 1;
            _counts[key] = count;
            return count;
        }
    }

    public void Add(Delivery delivery)
    {
        lock (_gate)
        {
            _deliveries.Add(delivery);
        }
    }

    public IReadOnlyList<Delivery> ForTopic(string? topic)
    {
        lock (_gate)
        {
            return _deliveries.Where(delivery => topic is null || delivery.Topic == topic).ToList();
        }
    }
}
