using DaprIoT.DeviceTwins.Hosting;
using DaprIoT.LightBulb;

// The light bulb service: the LightBulb actor type, and the MQTT input bindings of bulbs' reports.
var builder = WebApplication.CreateBuilder(args);
builder.AddDeviceService<LightBulbActor, LightBulbModel>();
var app = builder.Build();
app.MapDeviceService();
app.Run();
