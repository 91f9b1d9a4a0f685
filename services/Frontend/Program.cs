using DaprIoT.Frontend;

// The frontend: the browser UI's static files, and the edge that routes /api/* through Dapr and /hubs/* to
// device-management (FrontendHost.cs, EdgeRoutes.cs).
var builder = WebApplication.CreateBuilder(args);
WebApplication app;
try
{
    app = FrontendHost.Build(builder);
}
catch (FrontendConfigurationException invalid)
{
    Console.Error.WriteLine(invalid.Message);
    return 2;
}

app.Run();
return 0;
