namespace DaprIoT.Dapr.CloudEvents;

/// <summary>A delivery that claims to be a CloudEvent but cannot be read as one.</summary>
public sealed class CloudEventFormatException : Exception
{
    public CloudEventFormatException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
