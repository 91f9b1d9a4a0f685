namespace DaprIoT.Dapr.Client;

public enum StateConcurrency
{
    /// <summary>The write fails if the stored ETag changed since it was read.</summary>
    FirstWrite,

    /// <summary>The last write wins (daprd's default when no ETag is given).</summary>
    LastWrite,
}
