using DaprIoT.Contracts.Devices;
using DaprIoT.DeviceManagement.ReadModel;

namespace DaprIoT.DeviceManagement.Api;

/// <summary>The answer to adding a device: where it connects and its broker login. The password is shown this once.</summary>
public sealed record AddedDevice(string DeviceId, string Type, string Name, MqttCredentials Mqtt);

/// <summary>The device's MQTT login: client id and username are both the device id.</summary>
public sealed record MqttCredentials(string Host, int Port, string ClientId, string Username, string Password);

/// <summary>The caller's devices; also the hub's <c>snapshot</c>.</summary>
public sealed record DeviceList(IReadOnlyList<DeviceTwinView> Devices);

/// <summary>An accepted command: its id follows it to the device and back in its ack, and shows in the twin's commands.</summary>
public sealed record CommandAccepted(string CommandId);

/// <summary>The device's newest changes, newest first.</summary>
public sealed record DeviceEvents(string DeviceId, IReadOnlyList<TimelineEntry> Events);

/// <summary>Request bodies as the OpenAPI document shows them; the handlers read the JSON themselves to name each fault.</summary>
public sealed record AddDeviceBody(string Type, string Name);

public sealed record RenameDeviceBody(string Name);

/// <summary>A light bulb takes <c>power</c>, <c>brightnessPct</c>, <c>colorTempK</c>; a cooker <c>heater</c>, <c>targetTempC</c>.</summary>
public sealed record DesiredBody(bool? Power = null, int? BrightnessPct = null, int? ColorTempK = null, bool? Heater = null, decimal? TargetTempC = null);

public sealed record StartProgramBody(decimal TargetTempC, int DurationS);
