using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace DaprIoT.LocalRuntime.Tests;

/// <summary>Collects log lines (to assert on what the runtime says) and echoes them to the test's output.</summary>
public sealed class TestLog : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(TestLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{logLevel}: {formatter(state, exception)}";
            log._lines.Enqueue(line);
            try { TestContext.Current.TestOutputHelper?.WriteLine(line); }
            catch (InvalidOperationException) { } // the test already finished
        }
    }
}
