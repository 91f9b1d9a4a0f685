namespace DaprIoT.Contracts.Wire;

/// <summary>
/// A platform → device command. <see cref="Id"/> is 1–40 characters of <c>A-Z a-z 0-9 . _ : -</c>,
/// unique per command; a re-send keeps it, and the device applies an id only once.
/// </summary>
public abstract record DeviceCommand(string Id);

/// <summary>Light bulb <c>set</c>: changes at least one of the three.</summary>
/// <param name="BrightnessPct">0–100.</param>
/// <param name="ColorTempK">2700–6500.</param>
public sealed record LightBulbSet(string Id, bool? Power, int? BrightnessPct, int? ColorTempK) : DeviceCommand(Id);

/// <summary>Light bulb <c>toggle</c>: flips power.</summary>
public sealed record LightBulbToggle(string Id) : DeviceCommand(Id);

/// <summary><c>report</c>, for both device types: the device answers with a state message.</summary>
public sealed record ReportCommand(string Id) : DeviceCommand(Id);

/// <summary>Sous-vide <c>set</c>: changes at least one of the two; a set with a heater value ends a program.</summary>
/// <param name="TargetTempC">20.0–95.0 °C in 0.1 steps.</param>
public sealed record SousVideSet(string Id, bool? Heater, decimal? TargetTempC) : DeviceCommand(Id);

/// <summary>Sous-vide <c>startProgram</c>: heat to the target, then hold it for <paramref name="DurationS"/>.</summary>
/// <param name="TargetTempC">20.0–95.0 °C in 0.1 steps.</param>
/// <param name="DurationS">1–259200 s.</param>
public sealed record StartProgram(string Id, decimal TargetTempC, int DurationS) : DeviceCommand(Id);

/// <summary>Sous-vide <c>stopProgram</c>: ends the program, heater off.</summary>
public sealed record StopProgram(string Id) : DeviceCommand(Id);
