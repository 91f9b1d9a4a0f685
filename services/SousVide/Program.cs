using DaprIoT.DeviceTwins.Hosting;
using DaprIoT.SousVide;

// The sous-vide service: the SousVide actor type with its cooking programs, and the MQTT input bindings of cookers' reports.
var builder = WebApplication.CreateBuilder(args);
builder.AddDeviceService<SousVideActor, SousVideModel>();
var app = builder.Build();
app.MapDeviceService();
app.Run();
