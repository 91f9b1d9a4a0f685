using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using DaprIoT.Contracts;

namespace DaprIoT.Auth.Users;

/// <summary>
/// Users in the Dapr state store: <c>user-{id}</c> → <see cref="UserRecord"/>, and <c>user-email-{sha256 of the
/// e-mail}</c> → the user id, the index a login looks an e-mail up in (hashed, so any e-mail is a valid key).
/// </summary>
public sealed class UserStore(DaprClient dapr)
{
    // First-write without an ETag means "only if the key does not exist yet": the store, not this process, decides
    // which of two sign-ups with one e-mail wins, however many replicas of auth run.
    private static readonly StateOptions OnlyIfNew = new() { Concurrency = ConcurrencyMode.FirstWrite, Consistency = ConsistencyMode.Strong };

    /// <summary>Stores a new user and its e-mail index entry in one transaction; false if the e-mail is taken.</summary>
    public async Task<bool> TryCreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        List<StateTransactionRequest> writes =
        [
            new(EmailKey(user.Email), Serialize(new EmailIndexEntry(user.Id)), StateOperationType.Upsert, options: OnlyIfNew),
            new(UserKey(user.Id), Serialize(user), StateOperationType.Upsert, options: OnlyIfNew),
        ];
        try
        {
            await dapr.ExecuteStateTransactionAsync(ComponentNames.StateStore, writes, cancellationToken: cancellationToken);
            return true;
        }
        catch (DaprException)
        {
            // The store reports a conflict like any other failure; the index entry tells them apart. (Where a store's
            // transaction is not all-or-nothing on a conflict — Redis under daprd runs each write of its MULTI — the
            // losing sign-up's user record may remain, unreachable: no index entry names it.)
            if (await FindByEmailAsync(user.Email, cancellationToken) is not null) return false;
            throw;
        }
    }

    public Task<UserRecord?> GetAsync(string userId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<UserRecord?>(ComponentNames.StateStore, UserKey(userId), cancellationToken: cancellationToken);

    public async Task<UserRecord?> FindByEmailAsync(string normalisedEmail, CancellationToken cancellationToken)
    {
        var entry = await dapr.GetStateAsync<EmailIndexEntry?>(ComponentNames.StateStore, EmailKey(normalisedEmail),
            cancellationToken: cancellationToken);
        return entry is null ? null : await GetAsync(entry.UserId, cancellationToken);
    }

    /// <summary>Replaces a user's password hash (after <c>PasswordHasher</c> asks for a rehash).</summary>
    public Task UpdateAsync(UserRecord user, CancellationToken cancellationToken) =>
        dapr.SaveStateAsync(ComponentNames.StateStore, UserKey(user.Id), user, cancellationToken: cancellationToken);

    private static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, ContractJson.Options);

    private static string UserKey(string userId) => "user-" + userId;

    private static string EmailKey(string normalisedEmail) =>
        "user-email-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalisedEmail)));

    private sealed record EmailIndexEntry(string UserId);
}
