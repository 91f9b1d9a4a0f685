using System.Security.Claims;
using DaprIoT.Contracts;
using DaprIoT.Statistics.Ownership;
using DaprIoT.Statistics.Programs;
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
        app.MapGet("/api/statistics/devices/{deviceId}/programs", GetProgramsAsync).RequireAuthorization();
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

        if (!await IsOwnerAsync(owners, deviceId, user, cancellationToken)) return UnknownDevice(deviceId);

        var entries = await rollups.ReadAsync(deviceId, query.Resolution, query.From, query.To, cancellationToken);
        var points = RollupPlan.Points(query.Resolution, entries, query.From, query.To);
        return TypedResults.Ok(new SeriesResponse(deviceId, query.Resolution.ToString().ToLowerInvariant(), query.From, query.To, points));
    }

    /// <summary>A cooker's newest programs (at most 20), newest first, each with what was measured while it ran.</summary>
    private static async Task<Results<JsonHttpResult<IReadOnlyList<ProgramSummary>>, NotFound<ProblemDetails>>> GetProgramsAsync(
        string deviceId, ClaimsPrincipal user, OwnershipStore owners, ProgramStore programs, RollupStore rollups, RollupPlan plan,
        CancellationToken cancellationToken)
    {
        if (!await IsOwnerAsync(owners, deviceId, user, cancellationToken)) return UnknownDevice(deviceId);

        var summaries = new List<ProgramSummary>();
        foreach (var run in await programs.GetAsync(deviceId, cancellationToken))
        {
            var resolution = plan.FinestFor(run.StartedAt);
            var end = run.EndedAt ?? plan.Now;
            var entries = await rollups.ReadAsync(deviceId, resolution, RollupPlan.BucketStart(resolution, run.StartedAt), end, cancellationToken);
            var measures = RollupPlan.Summarise(resolution, entries, run.StartedAt, end)
                .ToDictionary(m => m.Key, m => MeasureSummary.Of(m.Value), StringComparer.Ordinal);
            summaries.Add(new ProgramSummary(run, resolution.ToString().ToLowerInvariant(), measures));
        }

        // The contract's JSON options: a program's status reads as its name ("completed"), as on the bus.
        return TypedResults.Json<IReadOnlyList<ProgramSummary>>(summaries, ContractJson.Options);
    }

    // Another user's device answers exactly as an unknown one does, so ids cannot be probed.
    private static async Task<bool> IsOwnerAsync(OwnershipStore owners, string deviceId, ClaimsPrincipal user, CancellationToken cancellationToken) =>
        await owners.FindAsync(deviceId, cancellationToken) is { } owner && owner.Owner == user.FindFirstValue("sub");

    private static NotFound<ProblemDetails> UnknownDevice(string deviceId) => TypedResults.NotFound(new ProblemDetails
    {
        Title = "Unknown device",
        Detail = $"You have no device '{deviceId}'. Add it first, or check the id in your device list.",
        Status = StatusCodes.Status404NotFound,
    });
}
