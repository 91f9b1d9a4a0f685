// Firmware devices → mosquitto → dapr-local's bindings.mqtt3 input binding → an app; prints messages received vs
// published, the delivery rate and dapr-local's CPU.
//   cmake -S firmware -B firmware/build && cmake --build firmware/build --target dapriot-devices
//   dotnet run -c Release --project tests/Benchmarks/MqttBindingThroughput -- [--devices 10000] [--rate 20000]
//       [--seconds 30] [--delivery-qos 1|0] [--connect-rate 1000]
// Needs an open-file limit above the number of devices (one connection each, in the simulator and in mosquitto).
using System.Diagnostics;
using DaprIoT.Benchmarks.MqttBindingThroughput;
using DaprIoT.LocalRuntime.Bindings.Mqtt;
using Microsoft.Extensions.Logging.Abstractions;

const string warmUpTopic = "dapriot/benchmark/warm-up/telemetry";
var options = BenchmarkOptions.Parse(args);
Console.WriteLine($"bindings.mqtt3 input throughput: {options.Devices} firmware devices, {options.Rate} telemetry msg/s in total, "
    + $"{options.Seconds} s with all online, delivered to the binding at QoS {options.DeliveryQos}"
    + (options.DeliveryQos == 1 ? " (acknowledged after the app's answer)" : " (as published: nothing to acknowledge)")
    + $", {Environment.ProcessorCount} cores");

await using var broker = await PrivateBroker.StartAsync(upgradeOutgoingQos: options.DeliveryQos == 1);
await using var app = await TelemetryApp.StartAsync(warmUpTopic);
await using var runtime = await RuntimeUnderTest.StartAsync(app.Port, broker.Port, options.RuntimePath);

// The binding subscribes once the app is up; a device message sent before that would not count against it.
await using (var warmUp = new MqttConnection(new MqttConnectionOptions
{
    Host = "127.0.0.1", Port = broker.Port, ClientId = "benchmark-warm-up", CleanSession = true,
}, NullLogger.Instance))
{
    await warmUp.ConnectAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (app.WarmUpEvents == 0)
    {
        if (DateTime.UtcNow > deadline) throw new TimeoutException($"the binding delivered nothing within 60 s; see {runtime.LogFile}");
        await warmUp.PublishAsync(warmUpTopic, "{}"u8.ToArray(), 1, false, CancellationToken.None);
        await Task.Delay(200);
    }
}

var clock = Stopwatch.StartNew();
var (cpuAtStart, brokerCpuAtStart) = (runtime.CpuTime, broker.CpuTime);
await using var fleet = DeviceFleet.Start(options.SimulatorPath, broker.Port, options.Devices, options.Rate, options.Seconds, options.ConnectRate);
// Measured from the moment every device is online; from the start when that never happens.
await Task.WhenAny(fleet.AllOnline, fleet.Exited);
if (!fleet.AllOnline.IsCompleted) Console.WriteLine("Not every device came online: the rates below cover the whole run.");
var (onlineAt, receivedWhenOnline, cpuWhenOnline) = fleet.AllOnline.IsCompleted
    ? (clock.Elapsed, app.DeviceEvents, runtime.CpuTime)
    : (TimeSpan.Zero, 0L, cpuAtStart);
var report = await fleet.ExitAsync();
var (stoppedAt, receivedWhenStopped, cpuWhenStopped) = (clock.Elapsed, app.DeviceEvents, runtime.CpuTime);

// What is still on its way: wait until everything arrived, or nothing more for 5 s.
var (lastCount, lastChange) = (app.DeviceEvents, clock.Elapsed);
while (app.DeviceEvents < report.Telemetry && clock.Elapsed - lastChange < TimeSpan.FromSeconds(5))
{
    await Task.Delay(100);
    if (app.DeviceEvents != lastCount) (lastCount, lastChange) = (app.DeviceEvents, clock.Elapsed);
}
var (drainedAt, received, cpuAtEnd, brokerCpuAtEnd) = (clock.Elapsed, app.DeviceEvents, runtime.CpuTime, broker.CpuTime);

var steady = (stoppedAt - onlineAt).TotalSeconds;
Console.WriteLine();
Console.WriteLine($"devices online:            {report.Online} of {options.Devices}, connections lost: {report.ConnectionsLost}");
Console.WriteLine($"telemetry published:       {report.Telemetry:N0} ({report.TelemetryPerSecond:N0} msg/s with all devices online)");
Console.WriteLine($"telemetry received by app: {received:N0} of {report.Telemetry:N0} ({report.Telemetry - received:N0} missing)");
Console.WriteLine($"delivery rate:             {(receivedWhenStopped - receivedWhenOnline) / steady:N0} msg/s with all devices online ({steady:0.0} s)");
Console.WriteLine($"drained after the devices stopped in {(drainedAt - stoppedAt).TotalSeconds:0.0} s");
Console.WriteLine($"dapr-local CPU:            {(cpuWhenStopped - cpuWhenOnline).TotalSeconds / steady:0.00} cores with all devices online; "
    + $"{(cpuAtEnd - cpuAtStart).TotalSeconds:0.0} s in {(drainedAt).TotalSeconds:0.0} s overall");
Console.WriteLine($"dapr-local peak memory:    {runtime.PeakMemoryMb:0} MB");
Console.WriteLine($"mosquitto CPU:             {(brokerCpuAtEnd - brokerCpuAtStart).TotalSeconds:0.0} s overall; machine load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
return received >= report.Telemetry ? 0 : 1;
