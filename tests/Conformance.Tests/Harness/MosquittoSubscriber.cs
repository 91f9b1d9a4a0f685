using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace DaprIoT.Conformance.Tests.Harness;

/// <summary>
/// <c>mosquitto_sub</c> against the shared Mosquitto on 127.0.0.1:1883: an MQTT client independent of the runtime,
/// to see exactly which bytes reached the broker on which topic.
/// </summary>
public sealed class MosquittoSubscriber : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private MosquittoSubscriber(Process process) => _process = process;

    /// <summary>Subscribes to <paramref name="topicFilter"/> and returns once the broker acknowledged the subscription.</summary>
    /// <param name="count">messages to wait for before exiting (<c>-C</c>).</param>
    public static async Task<MosquittoSubscriber> StartAsync(string topicFilter, int count, TimeSpan within, CancellationToken cancellationToken)
    {
        // Line-buffered: piped stdout is block-buffered otherwise, and the "Subscribed" line would come too late.
        var info = new ProcessStartInfo("stdbuf",
            ["-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", "1883", "-u", SharedMosquitto.Username, "-P", SharedMosquitto.Password, "-q", "1", "-d", "-v", "-t", topicFilter, "-C", count.ToString(CultureInfo.InvariantCulture),
             "-W", ((int)within.TotalSeconds).ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("mosquitto_sub could not be started");
        var subscriber = new MosquittoSubscriber(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            // With -d, the client's protocol log is interleaved with the "<topic> <payload>" lines of -v.
            if (e.Data.StartsWith("Subscribed", StringComparison.Ordinal)) subscriber._subscribed.TrySetResult();
            else if (!e.Data.StartsWith("Client ", StringComparison.Ordinal)) subscriber._lines.Enqueue(e.Data);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await subscriber._subscribed.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch
        {
            await subscriber.DisposeAsync();
            throw;
        }
        return subscriber;
    }

    /// <summary>Waits for the client to exit (after its count of messages or its timeout) and returns topic → payload.</summary>
    public async Task<IReadOnlyList<(string Topic, string Payload)>> MessagesAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _lines.Select(line => line.IndexOf(' ', StringComparison.Ordinal) is var space and > 0
            ? (line[..space], line[(space + 1)..])
            : (line, "")).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
