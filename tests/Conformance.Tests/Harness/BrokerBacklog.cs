using System.Diagnostics;
using System.Globalization;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>
/// How many messages of one subscription the broker still holds unacknowledged or undelivered: Redis entries
/// pending in the consumer group (<c>XPENDING</c>), RabbitMQ ready plus unacknowledged messages of the queue
/// <c>{consumerID}-{topic}</c>. Zero after a message was delivered means the sidecar acknowledged it, so the broker
/// will never deliver it again.
/// </summary>
public static class BrokerBacklog
{
    public static async Task<int> CountAsync(PubSubBus bus, string topic, string consumerId, CancellationToken cancellationToken)
    {
        if (bus == PubSubBus.Redis)
        {
            var summary = await RedisCli.RunAsync(cancellationToken, "XPENDING", topic, consumerId);
            return int.Parse(summary[0], CultureInfo.InvariantCulture);
        }

        var queue = $"{consumerId}-{topic}";
        var info = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-q", "list_queues", "name", "messages_ready", "messages_unacknowledged" }) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("rabbitmqctl could not be started");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"rabbitmqctl list_queues failed ({process.ExitCode}): {error}");
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var columns = line.Split('\t');
            if (columns.Length == 3 && columns[0] == queue)
                return int.Parse(columns[1], CultureInfo.InvariantCulture) + int.Parse(columns[2], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"RabbitMQ has no queue {queue}; queues:\n{output}");
    }
}
