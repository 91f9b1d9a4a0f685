using DaprIoT.LocalRuntime.Resiliency;
using Microsoft.Extensions.Time.Testing;

namespace DaprIoT.LocalRuntime.Tests.Resiliency;

/// <summary>The one policy runner every target kind uses: timeouts, retries and circuit breakers, on a fake clock.</summary>
public sealed class PolicyRunnerTests
{
    private static CircuitBreakerPolicy Breaker(string trip = "consecutiveFailures >= 3", int maxRequests = 1, TimeSpan? timeout = null) =>
        new("cb", maxRequests, TimeSpan.Zero, timeout ?? TimeSpan.FromSeconds(30), TripCondition.Parse(trip, out _)!);

    [Fact]
    public async Task A_failed_attempt_is_retried_after_the_policys_delay()
    {
        var clock = new FakeTimeProvider();
        var retry = new RetryPolicy("r", RetryBackoff.Constant, TimeSpan.FromSeconds(2), TimeSpan.Zero, 3);
        var attempts = 0;

        var run = PolicyRunner.RunAsync(new TargetPolicies(retry, null), _ => Task.FromResult(++attempts), clock,
            TestContext.Current.CancellationToken, isFailure: n => n < 3);
        Assert.Equal(1, attempts);
        // Each retry waits on the fake clock: time moves only when the test moves it.
        for (var step = 0; step < 100 && !run.IsCompleted; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(3, await run);
    }

    [Fact]
    public async Task An_answer_is_neither_retried_nor_counted_against_the_breaker()
    {
        var clock = new FakeTimeProvider();
        var breaker = new CircuitBreaker(Breaker("consecutiveFailures >= 1"), clock);
        var retry = new RetryPolicy("r", RetryBackoff.Constant, TimeSpan.Zero, TimeSpan.Zero, -1);
        var attempts = 0;

        await Assert.ThrowsAsync<ArgumentException>(() => PolicyRunner.RunAsync(new TargetPolicies(retry, null, breaker), _ =>
        {
            attempts++;
            return Task.FromException<int>(new ArgumentException("etag mismatch"));
        }, clock, TestContext.Current.CancellationToken, isAnswer: e => e is ArgumentException));

        Assert.Equal(1, attempts);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task A_tripped_breaker_fails_calls_at_once_then_probes_after_its_timeout_and_closes_on_success()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider();
        var breaker = new CircuitBreaker(Breaker(timeout: TimeSpan.FromSeconds(30)), clock);
        var policies = new TargetPolicies(null, null, breaker);
        var calls = 0;
        Task<int> Failing(CancellationToken _)
        {
            calls++;
            return Task.FromException<int>(new IOException("store down"));
        }

        for (var i = 0; i < 3; i++) await Assert.ThrowsAsync<IOException>(() => PolicyRunner.RunAsync(policies, Failing, clock, ct));
        var refused = await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => PolicyRunner.RunAsync(policies, Failing, clock, ct));
        Assert.Equal(3, calls);
        Assert.Equal(CircuitState.Open, refused.State);

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.Equal(7, await PolicyRunner.RunAsync(policies, _ => Task.FromResult(7), clock, ct));
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public async Task A_failed_probe_opens_the_breaker_again_and_retries_stop_at_an_open_breaker()
    {
        var ct = TestContext.Current.CancellationToken;
        var clock = new FakeTimeProvider();
        var breaker = new CircuitBreaker(Breaker("consecutiveFailures > 1", timeout: TimeSpan.FromSeconds(10)), clock);
        var forever = new RetryPolicy("r", RetryBackoff.Constant, TimeSpan.Zero, TimeSpan.Zero, -1);
        var calls = 0;

        // Unlimited retries, yet the call ends: the second failure trips the breaker, and an open breaker is final.
        await Assert.ThrowsAsync<CircuitBreakerOpenException>(() => PolicyRunner.RunAsync(new TargetPolicies(forever, null, breaker),
            _ => Task.FromResult(++calls), clock, ct, isFailure: _ => true));
        Assert.Equal(2, calls);

        clock.Advance(TimeSpan.FromSeconds(10));
        await PolicyRunner.RunAsync(new TargetPolicies(null, null, breaker), _ => Task.FromResult(++calls), clock, ct, isFailure: _ => true);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public async Task The_timeout_runs_on_the_runtimes_clock()
    {
        var clock = new FakeTimeProvider();
        var run = PolicyRunner.RunAsync(new TargetPolicies(null, TimeSpan.FromSeconds(5)),
            async ct =>
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return 0;
            }, clock, TestContext.Current.CancellationToken);

        clock.Advance(TimeSpan.FromSeconds(5));

        await Assert.ThrowsAsync<TimeoutException>(() => run);
    }

    [Theory]
    [InlineData("consecutiveFailures >= 5", 4, false)]
    [InlineData("consecutiveFailures >= 5", 5, true)]
    [InlineData("consecutiveFailures > 2 && requests > 10", 3, false)]
    [InlineData("totalFailures == 3 || consecutiveFailures > 8", 3, true)]
    public void Trip_conditions_compare_the_counts(string trip, int failures, bool trips)
    {
        var counts = new BreakerCounts { ConsecutiveFailures = failures, TotalFailures = failures, Requests = failures };
        Assert.Equal(trips, TripCondition.Parse(trip, out _)!.Holds(counts));
    }

    [Fact]
    public void A_trip_condition_that_is_not_a_comparison_of_counts_is_refused()
    {
        Assert.Null(TripCondition.Parse("size(failures) > 2", out var problem));
        Assert.Contains("size(failures) > 2", problem);
    }
}
