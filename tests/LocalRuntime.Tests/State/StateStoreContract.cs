using System.Text;
using DaprIoT.LocalRuntime.State;

namespace DaprIoT.LocalRuntime.Tests.State;

/// <summary>
/// What every <see cref="IStateStore"/> must do, written once and run against each store
/// (<see cref="InMemoryStateStoreTests"/>, <see cref="RedisStateStoreTests"/>).
/// </summary>
public abstract class StateStoreContract : IAsyncLifetime
{
    protected readonly string Prefix = $"contract-{Guid.NewGuid():N}||";

    protected IStateStore Store { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<IStateStore> OpenAsync();

    /// <summary>Lets <paramref name="time"/> pass for the store (a fake clock moves; Redis just waits).</summary>
    protected abstract void Elapse(TimeSpan time);

    public virtual async ValueTask InitializeAsync() => Store = await OpenAsync();

    public virtual async ValueTask DisposeAsync() => await Store.DisposeAsync();

    protected string Key(string name) => Prefix + name;

    protected static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task A_written_value_reads_back_with_an_etag_and_a_missing_key_reads_as_null()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("""{"fw":"1.2.3"}""")), Ct);

        var item = await Store.GetAsync(Key("a"), Ct);

        Assert.NotNull(item);
        Assert.Equal("""{"fw":"1.2.3"}""", Encoding.UTF8.GetString(item.Value));
        Assert.False(string.IsNullOrEmpty(item.ETag));
        Assert.Null(item.ExpiresAt);
        Assert.Null(await Store.GetAsync(Key("missing"), Ct));
    }

    [Fact]
    public async Task Every_write_gives_the_key_a_new_etag()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);
        var first = (await Store.GetAsync(Key("a"), Ct))!.ETag;
        await Store.SetAsync(new StateSet(Key("a"), Json("2")), Ct);
        var second = (await Store.GetAsync(Key("a"), Ct))!.ETag;

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_fails_and_leaves_the_value_unchanged()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);
        var stale = (await Store.GetAsync(Key("a"), Ct))!.ETag;
        await Store.SetAsync(new StateSet(Key("a"), Json("2"), stale), Ct);
        var current = await Store.GetAsync(Key("a"), Ct);

        var error = await Assert.ThrowsAsync<EtagMismatchException>(() =>
            Store.SetAsync(new StateSet(Key("a"), Json("3"), stale), Ct));

        Assert.Equal(Key("a"), error.Key);
        var after = await Store.GetAsync(Key("a"), Ct);
        Assert.Equal("2", Encoding.UTF8.GetString(after!.Value));
        Assert.Equal(current!.ETag, after.ETag);
    }

    [Fact]
    public async Task A_write_with_an_etag_to_a_missing_key_fails()
    {
        await Assert.ThrowsAsync<EtagMismatchException>(() =>
            Store.SetAsync(new StateSet(Key("a"), Json("1"), "1"), Ct));

        Assert.Null(await Store.GetAsync(Key("a"), Ct));
    }

    [Fact]
    public async Task First_write_without_an_etag_creates_a_missing_key_but_never_overwrites()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1"), Concurrency: StateConcurrency.FirstWrite), Ct);

        await Assert.ThrowsAsync<EtagMismatchException>(() =>
            Store.SetAsync(new StateSet(Key("a"), Json("2"), Concurrency: StateConcurrency.FirstWrite), Ct));

        Assert.Equal("1", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));
    }

    [Fact]
    public async Task First_write_with_the_current_etag_overwrites()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);
        var etag = (await Store.GetAsync(Key("a"), Ct))!.ETag;

        await Store.SetAsync(new StateSet(Key("a"), Json("2"), etag, StateConcurrency.FirstWrite), Ct);

        Assert.Equal("2", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));
    }

    [Fact]
    public async Task Last_write_without_an_etag_overwrites_unconditionally()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);

        await Store.SetAsync(new StateSet(Key("a"), Json("2")), Ct);

        Assert.Equal("2", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));
    }

    [Fact]
    public async Task A_delete_with_a_stale_etag_fails_and_one_with_the_current_etag_deletes()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);
        var stale = (await Store.GetAsync(Key("a"), Ct))!.ETag;
        await Store.SetAsync(new StateSet(Key("a"), Json("2")), Ct);

        await Assert.ThrowsAsync<EtagMismatchException>(() => Store.DeleteAsync(new StateDelete(Key("a"), stale), Ct));
        var current = await Store.GetAsync(Key("a"), Ct);
        Assert.Equal("2", Encoding.UTF8.GetString(current!.Value));

        await Store.DeleteAsync(new StateDelete(Key("a"), current.ETag), Ct);
        Assert.Null(await Store.GetAsync(Key("a"), Ct));
    }

    [Fact]
    public async Task Deleting_without_an_etag_succeeds_whether_or_not_the_key_exists()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);

        await Store.DeleteAsync(new StateDelete(Key("a")), Ct);
        await Store.DeleteAsync(new StateDelete(Key("never")), Ct);

        Assert.Null(await Store.GetAsync(Key("a"), Ct));
    }

    [Fact]
    public async Task A_transaction_applies_its_sets_and_deletes_together()
    {
        await Store.SetAsync(new StateSet(Key("gone"), Json("0")), Ct);

        await Store.TransactAsync([
            new StateSet(Key("a"), Json("1")),
            new StateSet(Key("b"), Json("2"), Ttl: TimeSpan.FromHours(1)),
            new StateDelete(Key("gone")),
        ], Ct);

        Assert.Equal("1", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));
        Assert.NotNull((await Store.GetAsync(Key("b"), Ct))!.ExpiresAt);
        Assert.Null(await Store.GetAsync(Key("gone"), Ct));
    }

    [Fact]
    public async Task A_transaction_with_one_stale_etag_writes_nothing()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);
        await Store.SetAsync(new StateSet(Key("b"), Json("1")), Ct);
        var a = (await Store.GetAsync(Key("a"), Ct))!;
        var b = (await Store.GetAsync(Key("b"), Ct))!;

        var error = await Assert.ThrowsAsync<EtagMismatchException>(() => Store.TransactAsync([
            new StateSet(Key("a"), Json("2"), a.ETag),
            new StateSet(Key("new"), Json("2")),
            new StateDelete(Key("b")),
            new StateSet(Key("c"), Json("2"), "999"),
        ], Ct));

        Assert.Equal(Key("c"), error.Key);
        Assert.Equal(a, await Store.GetAsync(Key("a"), Ct), ItemComparer.Instance);
        Assert.Equal(b, await Store.GetAsync(Key("b"), Ct), ItemComparer.Instance);
        Assert.Null(await Store.GetAsync(Key("new"), Ct));
        Assert.Null(await Store.GetAsync(Key("c"), Ct));
    }

    [Fact]
    public async Task Operations_in_a_transaction_see_the_earlier_operations_on_the_same_key()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1")), Ct);
        var etag = (await Store.GetAsync(Key("a"), Ct))!.ETag;

        // The second write's ETag is the one the first write just superseded, so the whole transaction fails.
        await Assert.ThrowsAsync<EtagMismatchException>(() => Store.TransactAsync([
            new StateSet(Key("a"), Json("2"), etag),
            new StateSet(Key("a"), Json("3"), etag),
        ], Ct));
        Assert.Equal("1", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));

        // Delete then first-write create is fine: the key is gone when the create runs.
        await Store.TransactAsync([
            new StateDelete(Key("a"), etag),
            new StateSet(Key("a"), Json("4"), Concurrency: StateConcurrency.FirstWrite),
        ], Ct);
        Assert.Equal("4", Encoding.UTF8.GetString((await Store.GetAsync(Key("a"), Ct))!.Value));
    }

    [Fact]
    public async Task An_empty_transaction_does_nothing()
    {
        await Store.TransactAsync([], Ct);

        Assert.Null(await Store.GetAsync(Key("a"), Ct));
    }

    [Fact]
    public async Task An_item_with_a_ttl_reports_its_expiry_and_is_gone_after_it()
    {
        var ttl = TimeSpan.FromMilliseconds(400);
        await Store.SetAsync(new StateSet(Key("a"), Json("1"), Ttl: ttl), Ct);
        await Store.SetAsync(new StateSet(Key("kept"), Json("1"), Ttl: TimeSpan.FromHours(1)), Ct);

        var item = await Store.GetAsync(Key("a"), Ct);
        Assert.NotNull(item?.ExpiresAt);
        Elapse(ttl);

        await Poll.UntilAsync(async () => await Store.GetAsync(Key("a"), Ct) is null, Ct);
        Assert.NotNull(await Store.GetAsync(Key("kept"), Ct));
    }

    [Fact]
    public async Task A_zero_or_negative_ttl_removes_an_existing_expiry()
    {
        await Store.SetAsync(new StateSet(Key("a"), Json("1"), Ttl: TimeSpan.FromMilliseconds(400)), Ct);

        await Store.SetAsync(new StateSet(Key("a"), Json("2"), Ttl: TimeSpan.FromSeconds(-1)), Ct);

        // Redis reports the key's remaining PTTL, so no expiry here means none is set there either.
        Assert.Null((await Store.GetAsync(Key("a"), Ct))!.ExpiresAt);
        Elapse(TimeSpan.FromSeconds(1));
        Assert.NotNull(await Store.GetAsync(Key("a"), Ct));
    }

    [Fact]
    public async Task Binary_and_unicode_values_round_trip_byte_for_byte()
    {
        byte[] binary = [0, 13, 10, 255, 254, (byte)'$', (byte)'*', 0x80, 13, 10];
        var unicode = Encoding.UTF8.GetBytes("\"grüße ☀ 𝄞 \\u00e9\"");

        await Store.SetAsync(new StateSet(Key("bin"), binary), Ct);
        await Store.SetAsync(new StateSet(Key("uni"), unicode), Ct);
        await Store.SetAsync(new StateSet(Key("empty"), []), Ct);

        Assert.Equal(binary, (await Store.GetAsync(Key("bin"), Ct))!.Value);
        Assert.Equal(unicode, (await Store.GetAsync(Key("uni"), Ct))!.Value);
        Assert.Empty((await Store.GetAsync(Key("empty"), Ct))!.Value);
    }

    [Fact]
    public async Task Concurrent_increments_with_etag_retries_never_lose_an_update()
    {
        const int writers = 8, incrementsEach = 50;
        await Store.SetAsync(new StateSet(Key("counter"), Json("0")), Ct);

        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            for (var done = 0; done < incrementsEach;)
            {
                var item = (await Store.GetAsync(Key("counter"), Ct))!;
                var next = int.Parse(Encoding.UTF8.GetString(item.Value), System.Globalization.CultureInfo.InvariantCulture) + 1;
                try
                {
                    await Store.SetAsync(new StateSet(Key("counter"), Json(next.ToString(System.Globalization.CultureInfo.InvariantCulture)), item.ETag), Ct);
                    done++;
                }
                catch (EtagMismatchException)
                {
                    // Someone else won this round: read again and retry.
                }
            }
        }, Ct)));

        Assert.Equal("400", Encoding.UTF8.GetString((await Store.GetAsync(Key("counter"), Ct))!.Value));
    }

    private sealed class ItemComparer : IEqualityComparer<StateItem?>
    {
        public static ItemComparer Instance { get; } = new();

        public bool Equals(StateItem? x, StateItem? y) =>
            x is null ? y is null : y is not null && x.ETag == y.ETag && x.Value.AsSpan().SequenceEqual(y.Value);

        public int GetHashCode(StateItem? obj) => obj?.ETag.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
