using System.Diagnostics.Metrics;

namespace DaprIoT.DeviceTwins;

/// <summary>
/// The device services' counters (meter <see cref="MeterName"/>, exported with the service's other metrics): every
/// device message by outcome, a commanded device's state and ack applied together or not, telemetry dropped on the way
/// to the bus, commands sent and sends that failed.
/// </summary>
public sealed class DeviceMetrics
{
    public const string MeterName = "DaprIoT.Devices";

    private readonly Counter<long> _messages;
    private readonly Counter<long> _reportPairs;
    private readonly Counter<long> _telemetryDropped;
    private readonly Counter<long> _commandsSent;
    private readonly Counter<long> _commandSendFailures;
    private readonly Counter<long> _brokerControlErrors;

    public DeviceMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _messages = meter.CreateCounter<long>("dapriot.device.messages", "{message}",
            "Device messages received, by type, kind and outcome (applied, published, duplicate, rejected, failed) and reason");
        _reportPairs = meter.CreateCounter<long>("dapriot.device.report.pairs", "{pair}",
            "A commanded device's state and ack: applied in one actor turn (paired), or one of them alone after waiting for the other (unpaired)");
        _telemetryDropped = meter.CreateCounter<long>("dapriot.telemetry.dropped", "{message}",
            "Telemetry messages accepted from a device but not published on the bus, by reason");
        _commandsSent = meter.CreateCounter<long>("dapriot.commands.sent", "{command}",
            "Commands published to devices, first sends and re-sends");
        _commandSendFailures = meter.CreateCounter<long>("dapriot.commands.send.failures", "{command}",
            "Command sends the broker did not take (each is sent again by its re-send reminder)");
        _brokerControlErrors = meter.CreateCounter<long>("dapriot.broker.control.errors", "{command}",
            "Device login changes the broker's dynamic-security plugin refused");
    }

    public void Message(string type, string kind, string outcome, string? reason = null) =>
        _messages.Add(1, new("type", type), new("kind", kind), new("outcome", outcome), new("reason", reason ?? ""));

    public void ReportPair(string type, bool paired) =>
        _reportPairs.Add(1, new("type", type), new("outcome", paired ? "paired" : "unpaired"));

    public void TelemetryDropped(string type, string reason, int count) =>
        _telemetryDropped.Add(count, new("type", type), new("reason", reason));

    public void BrokerControlError(string type, string command) =>
        _brokerControlErrors.Add(1, new("type", type), new("command", command));

    public void CommandSent(string type, bool resend) =>
        _commandsSent.Add(1, new("type", type), new("resend", resend));

    public void CommandSendFailed(string type) =>
        _commandSendFailures.Add(1, new KeyValuePair<string, object?>("type", type));
}
