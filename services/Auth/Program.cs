using DaprIoT.Auth;
using DaprIoT.Auth.Api;
using DaprIoT.Auth.Tokens;
using DaprIoT.Auth.Users;
using DaprIoT.ServiceDefaults;
using Microsoft.AspNetCore.Identity;

// The auth service: sign-up, login, refresh, logout; access tokens signed with a key from a Dapr secret store.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJwtValidation();                                      // for GET /api/auth/me, like any other service
builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<SigningKeyHolder>();
builder.Services.AddHostedService<SigningKeyLoader>();           // reads the key before the app takes requests
builder.Services.AddSingleton<IJwksSource, OwnJwksSource>();     // auth checks its own tokens without calling itself
builder.Services.AddSingleton<AccessTokenIssuer>();
builder.Services.AddSingleton<RefreshTokenStore>();
builder.Services.AddSingleton<UserStore>();
builder.Services.AddSingleton<IPasswordHasher<UserRecord>, PasswordHasher<UserRecord>>();
builder.Services.AddLoginRateLimits();                           // LoginRateLimits.cs
var app = builder.Build();
app.MapServiceDefaults();
app.UseRateLimiter();
app.MapAuthApi();                                                // Api/AuthApi.cs
app.MapDiscoveryApi();                                           // Api/DiscoveryApi.cs
app.Run();
