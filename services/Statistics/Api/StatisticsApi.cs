using System.Security.Claims;
using DaprIoT.Statistics.Ownership;
using DaprIoT.Statistics.Rollups;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DaprIoT.Statistics.Api;

/// <summary>The chart API: a signed-in user reads the series of their own devices, and of no one else's.</summary>
public static class StatisticsApi
{
    public static void MapStatisticsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/statistics/devices/{deviceId}/series", GetSeriesAsync).RequireAuthorization();
    }

    /// <summary>
    /// <c>resolution</c> <c>minute</c> (default; the last hour unless <c>from</c>/<c>to</c> say otherwise, at most 24 h)
    /// or <c>hour</c> (default the last 24 h, at most 30 days); <c>from</c>, <c>to</c> ISO 8601 times.
    /// </summary>
    private static async Task<Results<Ok<SeriesResponse>, NotFound<ProblemDetails>, ValidationProblem>> GetSeriesAsync(
        string deviceId, string? resolution, string? from, string? to, ClaimsPrincipal user, OwnershipStore owners,
        RollupStore rollups, RollupPlan plan, CancellationToken cancellationToken)
    {
        var (query, errors) = SeriesQuery.Parse(resolution, from, to, plan.Now);
        if (query is null)
        {
            return TypedResults.ValidationProblem(errors, title: "The series query is not valid");
        }

        // Another user's device answers exactly as an unknown one does, so ids cannot be probed.
        var owner = await owners.FindAsync(deviceId, cancellationToken);
        if (owner is null || owner.Owner != user.FindFirstValue("sub"))
        {
            return TypedResults.NotFound(new ProblemDetails
            {
                Title = "Unknown device",
                Detail = $"You have no device '{deviceId}'. Add it first, or check the id in your device list.",
                Status = StatusCodes.Status404NotFound,
            });
        }

        var entries = await rollups.ReadAsync(deviceId, query.Resolution, query.From, query.To, cancellationToken);
        var points = RollupPlan.Points(query.Resolution, entries, query.From, query.To);
        return TypedResults.Ok(new SeriesResponse(deviceId, query.Resolution.ToString().ToLowerInvariant(), query.From, query.To, points));
    }
}
