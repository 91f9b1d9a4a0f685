using Dapr.Client;
using DaprIoT.Contracts.Wire;
using DaprIoT.DeviceTwins.Ingestion;
using DaprIoT.DeviceTwins.Model;

namespace DaprIoT.DeviceTwins.Broker;

/// <summary>
/// Publishes to the broker through the device type's MQTT output binding (<c>{type}-mqtt</c>, a
/// <c>bindings.mqtt3</c> component): the binding waits for the broker's PUBACK, so a command that was sent has
/// reached the broker. The topic is given per message, as the binding allows. A command sent tells
/// <see cref="ReportPairing"/> that the device's state and ack are to come together.
/// </summary>
public sealed class DeviceCommandSender(DaprClient dapr, ReportPairing pairing)
{
    public static string BindingName(DeviceModel model) => $"{model.TypeName}-mqtt";

    public Task SendAsync(DeviceModel model, string deviceId, DeviceCommand command)
    {
        pairing.CommandSent(deviceId);
        return PublishAsync(model, new DeviceTopic(model.Type, deviceId, MessageKind.Cmd).ToString(), WireCodec.Encode(command));
    }

    public async Task PublishAsync(DeviceModel model, string topic, byte[] payload)
    {
        var request = new BindingRequest(BindingName(model), "create") { Data = payload };
        request.Metadata["topic"] = topic;
        await dapr.InvokeBindingAsync(request);
    }
}
