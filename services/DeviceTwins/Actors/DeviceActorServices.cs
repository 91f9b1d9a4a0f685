using DaprIoT.DeviceTwins.Broker;
using DaprIoT.DeviceTwins.Twin;
using Microsoft.Extensions.Options;

namespace DaprIoT.DeviceTwins.Actors;

/// <summary>What every device actor is given: the way to the bus, the clock, the twin rules' timing, the way to the broker, metrics.</summary>
public sealed class DeviceActorServices(DeviceEventPublisher events, TimeProvider time, IOptions<TwinOptions> options, DeviceCommandSender commands, BrokerAccounts broker, DeviceMetrics metrics)
{
    public DeviceEventPublisher Events { get; } = events;
    public TimeProvider Time { get; } = time;
    public TwinOptions Options { get; } = options.Value;
    public DeviceCommandSender Commands { get; } = commands;
    public BrokerAccounts Broker { get; } = broker;
    public DeviceMetrics Metrics { get; } = metrics;
}
