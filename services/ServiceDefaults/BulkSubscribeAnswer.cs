using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr.AspNetCore;
using Microsoft.AspNetCore.Http;

namespace DaprIoT.ServiceDefaults;

/// <summary>
/// The answer to a bulk delivery, as the sidecar reads it: each entry's status by its name (SUCCESS, RETRY, DROP),
/// compared case-sensitively. Serialized with options of its own, so a service's API JSON settings (e.g. enums as
/// camelCase names) cannot turn a SUCCESS into a "success" the sidecar refuses.
/// </summary>
public static class BulkSubscribeAnswer
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static IResult Of(IEnumerable<BulkSubscribeAppResponseEntry> statuses) => Results.Json(new BulkSubscribeAppResponse([.. statuses]), Json);
}
