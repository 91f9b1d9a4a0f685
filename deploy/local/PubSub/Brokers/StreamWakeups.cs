namespace DaprIoT.LocalRuntime.PubSub.Brokers;

/// <summary>
/// Wakes this process's Redis stream consumers when this process adds an entry to their stream.
/// StackExchange.Redis shares one connection between all callers, so a consumer cannot park in
/// <c>XREADGROUP … BLOCK</c> the way daprd's does. Instead it reads without blocking and, when there is nothing new,
/// waits for this signal: every sidecar of a dapr-local run lives in one process, so a publish through any of them
/// wakes the subscribers at once. Entries that other processes add are found by the consumers' fallback poll.
/// Streams are told apart by server and key (<see cref="Components.RedisComponentConnection.ServerKey"/>).
/// </summary>
internal static class StreamWakeups
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<(string Server, string Stream), Registration> Signals = new();

    /// <summary>Starts listening for additions to <paramref name="stream"/>; dispose the result to stop.</summary>
    public static Registration Listen(string server, string stream)
    {
        lock (Gate)
        {
            if (!Signals.TryGetValue((server, stream), out var registration))
                Signals[(server, stream)] = registration = new Registration(server, stream);
            registration.Listeners++;
            return registration;
        }
    }

    /// <summary>Called after an entry was added to <paramref name="stream"/>: wakes every consumer of it in this process.</summary>
    public static void Added(string server, string stream)
    {
        Registration? registration;
        lock (Gate) Signals.TryGetValue((server, stream), out registration);
        registration?.Raise();
    }

    /// <summary>The signal for one stream, shared by all of its consumers in this process.</summary>
    internal sealed class Registration(string server, string stream) : IDisposable
    {
        // Continuations run synchronously, on the publisher's thread inside Raise: a woken consumer only sends its
        // XREADGROUP and returns at its next await, which saves a thread-pool hop on the publish→deliver path.
        private TaskCompletionSource _next = new();

        public int Listeners { get; set; }

        /// <summary>
        /// Completes at the next addition after this property was read. Read it <em>before</em> reading the stream:
        /// an entry added after that read then still completes the task, so no wake-up is lost in between.
        /// </summary>
        public Task Next => Volatile.Read(ref _next).Task;

        public void Raise() => Interlocked.Exchange(ref _next, new TaskCompletionSource()).TrySetResult();

        public void Dispose()
        {
            lock (Gate)
            {
                if (--Listeners == 0) Signals.Remove((server, stream));
            }
        }
    }
}
