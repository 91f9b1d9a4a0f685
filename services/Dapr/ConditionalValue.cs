namespace DaprIoT.Dapr;

/// <summary>A value that may be absent: the answer of a "try get" (missing state is not an error in Dapr).</summary>
public readonly record struct ConditionalValue<T>(bool HasValue, T? Value)
{
    public static ConditionalValue<T> None => default;
}
