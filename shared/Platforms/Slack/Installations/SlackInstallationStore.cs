using Azure;
using Azure.Data.Tables;
using Digest.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack.Installations;

/// <summary>
/// The app's installations in the <see cref="DigestStorage.SlackInstallations"/> table, one row per workspace (per org
/// for an Enterprise Grid org-wide install), and the <see cref="ISlackBotTokens"/> of the Slack front end and messenger.
/// </summary>
/// <remarks>
/// <para>The bot and refresh tokens are stored only as <see cref="SlackTokenProtector"/> ciphertext bound to the row's
/// partition key: reading the table (a backup, a leaked SAS) gives no token, and a ciphertext copied into another row
/// does not decrypt.</para>
/// <para>With token rotation (the answer carried <c>expires_in</c> and a <c>refresh_token</c>), a token that expires
/// within <see cref="SlackOptions.TokenRefreshMargin"/> is refreshed through <c>oauth.v2.access</c>
/// (<c>grant_type=refresh_token</c>) before it is handed out. Several processes (the bot, the notifier) read the same
/// row; to keep two of them from both rotating it, a process first claims the row with a refresh lease written under
/// the row's ETag. The one whose write wins refreshes; the others keep using the current token, which has not expired
/// yet because the margin is hours. Only when it has expired and another process holds the lease is the caller told to
/// come back later (a retryable <see cref="SlackApiException"/>).</para>
/// <para>A single-workspace app (<see cref="SlackOptions.BotToken"/>, which the options validator never lets coexist
/// with OAuth) gets its tokens from <see cref="SingleWorkspaceBotTokens"/> instead.</para>
/// </remarks>
public sealed partial class SlackInstallationStore : ISlackBotTokens
{
    /// <summary>How long a process may take to refresh a token before another one may try.</summary>
    internal static readonly TimeSpan RefreshLease = TimeSpan.FromMinutes(1);

    private const int MaxAttempts = 4;

    private readonly DigestStorage _storage;
    private readonly TableClient _table;
    private readonly SlackTokenProtector _protector;
    private readonly SlackWebApiClient _slack;
    private readonly SlackOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SlackInstallationStore> _logger;

    public SlackInstallationStore(
        DigestStorage storage,
        SlackTokenProtector protector,
        SlackWebApiClient slack,
        IOptions<SlackOptions> options,
        TimeProvider time,
        ILogger<SlackInstallationStore> logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        _storage = storage;
        _table = storage.SlackInstallations;
        _protector = protector;
        _slack = slack;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Stores the installation an <c>oauth.v2.access</c> code exchange answered, replacing an earlier one of
    /// the same workspace or org (a reinstall: new tokens, no longer revoked).</summary>
    /// <exception cref="ArgumentException">The answer is not a bot installation of a workspace or org.</exception>
    public async Task<SlackInstallation> SaveAsync(SlackOAuthAccess access, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(access);
        var partition = access.IsEnterpriseInstall ? SlackInstallationKeys.Enterprise(access.Enterprise?.Id) : SlackInstallationKeys.Team(access.Team?.Id);
        if (!access.Ok || partition is null || string.IsNullOrEmpty(access.AccessToken) || !string.Equals(access.TokenType, "bot", StringComparison.Ordinal))
        {
            throw new ArgumentException($"oauth.v2.access did not answer a bot installation of a workspace or org: {access}.", nameof(access));
        }

        var now = _time.GetUtcNow();
        var entity = new TableEntity(partition, SlackInstallationKeys.RowKey)
        {
            ["TeamId"] = access.Team?.Id,
            ["TeamName"] = access.Team?.Name,
            ["EnterpriseId"] = access.Enterprise?.Id,
            ["EnterpriseName"] = access.Enterprise?.Name,
            ["IsEnterpriseInstall"] = access.IsEnterpriseInstall,
            ["AppId"] = access.AppId,
            ["BotUserId"] = access.BotUserId,
            ["Scopes"] = access.Scope,
            ["InstalledBy"] = access.AuthedUser?.Id,
            ["InstalledAt"] = now,
            ["Revoked"] = false,
            ["BotTokenSealed"] = _protector.Protect(partition, access.AccessToken),
        };
        if (access.ExpiresIn is > 0 && !string.IsNullOrEmpty(access.RefreshToken))
        {
            entity["TokenExpiresAt"] = now.AddSeconds(access.ExpiresIn.Value);
            entity["RefreshTokenSealed"] = _protector.Protect(partition, access.RefreshToken);
        }

        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        var installation = ToInstallation(entity);
        LogInstalled(_logger, installation.InstallationId, installation.IsEnterpriseInstall, installation.TokenExpiresAt is not null);
        return installation;
    }

    /// <summary>The installation that serves a workspace: its own, else its org's org-wide one; revoked ones included.</summary>
    public async Task<SlackInstallation?> FindAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken)
    {
        var row = await FindRowAsync(teamId, enterpriseId, includeRevoked: true, cancellationToken).ConfigureAwait(false);
        return row is null ? null : ToInstallation(row);
    }

    /// <inheritdoc/>
    /// <exception cref="SlackApiException">The stored token cannot be decrypted (<see cref="SlackErrorKind.Unauthorized"/>:
    /// <c>Slack:TokenEncryptionKey</c> changed), or it has expired while another process is refreshing it, or the refresh
    /// failed (<see cref="SlackErrorKind.Retry"/> and the other kinds of the refresh's error).</exception>
    public async ValueTask<string?> GetAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken)
    {
        if (!_options.UsesOAuth)
        {
            return null;
        }

        for (var attempt = 1; ; attempt++)
        {
            var row = await FindRowAsync(teamId, enterpriseId, includeRevoked: false, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return null;
            }

            var token = Unprotect(row, "BotTokenSealed")
                ?? throw Unreadable(row.PartitionKey);
            var now = _time.GetUtcNow();
            var expiresAt = row.GetDateTimeOffset("TokenExpiresAt");
            var sealedRefresh = row.GetString("RefreshTokenSealed");
            if (expiresAt is null || expiresAt.Value - now > _options.TokenRefreshMargin || string.IsNullOrEmpty(sealedRefresh))
            {
                return token;
            }

            var stillValid = now < expiresAt.Value;
            if (row.GetDateTimeOffset("RefreshLeaseUntil") is { } lease && lease > now)
            {
                // Another process is refreshing it.
                return stillValid ? token : throw RefreshInProgress(row.PartitionKey);
            }

            if (await TryClaimRefreshAsync(row, now, cancellationToken).ConfigureAwait(false) is not { } claimed)
            {
                if (attempt >= MaxAttempts)
                {
                    return stillValid ? token : throw RefreshInProgress(row.PartitionKey);
                }

                continue; // someone else changed the row first: read what they wrote
            }

            var refreshToken = Unprotect(row, "RefreshTokenSealed") ?? throw Unreadable(row.PartitionKey);
            SlackOAuthAccess refreshed;
            try
            {
                refreshed = await _slack.RefreshTokenAsync(refreshToken, cancellationToken).ConfigureAwait(false);
            }
            catch (SlackApiException exception) when (stillValid)
            {
                // The current token still works; the lease runs out and a later call tries again.
                LogRefreshFailed(_logger, row.PartitionKey, exception.Error, exception);
                return token;
            }

            if (string.IsNullOrEmpty(refreshed.AccessToken))
            {
                LogRefreshFailed(_logger, row.PartitionKey, "no_access_token", null);
                return stillValid ? token : throw new SlackApiException(SlackErrorKind.Retry, "oauth.v2.access", "invalid_response", null, null,
                    "oauth.v2.access refreshed the token without answering one.");
            }

            if (await TryStoreRefreshedAsync(row.PartitionKey, claimed, refreshed, cancellationToken).ConfigureAwait(false))
            {
                LogRefreshed(_logger, row.PartitionKey);
                return refreshed.AccessToken;
            }

            // Revoked or reinstalled while we refreshed: what is stored now is the truth.
            if (attempt >= MaxAttempts)
            {
                return null;
            }
        }
    }

    /// <inheritdoc/>
    public async ValueTask RevokeAsync(string teamId, string? enterpriseId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var row = await FindRowAsync(teamId, enterpriseId, includeRevoked: false, cancellationToken).ConfigureAwait(false);
            if (row is null)
            {
                return;
            }

            // The tokens are deleted, not just flagged: the row keeps who installed it and when, for a reinstall.
            var revoked = new TableEntity(row.PartitionKey, row.RowKey);
            foreach (var (name, value) in row)
            {
                if (name is not ("odata.etag" or "PartitionKey" or "RowKey" or "Timestamp" or "BotTokenSealed" or "RefreshTokenSealed" or "RefreshLeaseUntil"))
                {
                    revoked[name] = value;
                }
            }

            revoked["Revoked"] = true;
            revoked["RevokedAt"] = _time.GetUtcNow();
            try
            {
                await _table.UpdateEntityAsync(revoked, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                LogRevoked(_logger, row.PartitionKey);
                return;
            }
            catch (RequestFailedException exception) when (exception.Status is 404 or 412)
            {
                // Refreshed or reinstalled meanwhile: read it again.
            }
        }
    }

    private async Task<TableEntity?> FindRowAsync(string teamId, string? enterpriseId, bool includeRevoked, CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        foreach (var partition in new[] { SlackInstallationKeys.Team(teamId), SlackInstallationKeys.Enterprise(enterpriseId) })
        {
            if (partition is null)
            {
                continue;
            }

            var row = await _table.GetEntityIfExistsAsync<TableEntity>(partition, SlackInstallationKeys.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (row.HasValue && row.Value is { } entity && (includeRevoked || entity.GetBoolean("Revoked") != true))
            {
                return entity;
            }
        }

        return null;
    }

    // Writes the lease under the row's ETag: only one process's write can succeed. Returns the new ETag.
    private async Task<ETag?> TryClaimRefreshAsync(TableEntity row, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lease = new TableEntity(row.PartitionKey, row.RowKey) { ["RefreshLeaseUntil"] = now + RefreshLease };
        try
        {
            var response = await _table.UpdateEntityAsync(lease, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return response.Headers.ETag;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            return null;
        }
    }

    private async Task<bool> TryStoreRefreshedAsync(string partition, ETag? claimed, SlackOAuthAccess refreshed, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var update = new TableEntity(partition, SlackInstallationKeys.RowKey)
        {
            ["BotTokenSealed"] = _protector.Protect(partition, refreshed.AccessToken!),
            ["RefreshLeaseUntil"] = now,
        };
        if (refreshed.ExpiresIn is > 0)
        {
            update["TokenExpiresAt"] = now.AddSeconds(refreshed.ExpiresIn.Value);
        }

        if (!string.IsNullOrEmpty(refreshed.RefreshToken))
        {
            update["RefreshTokenSealed"] = _protector.Protect(partition, refreshed.RefreshToken);
        }

        try
        {
            await _table.UpdateEntityAsync(update, claimed ?? ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 412)
        {
            return false;
        }
    }

    private string? Unprotect(TableEntity row, string column) =>
        row.GetString(column) is { Length: > 0 } sealedValue && _protector.TryUnprotect(row.PartitionKey, sealedValue, out var token) ? token : null;

    private SlackApiException Unreadable(string partition)
    {
        LogUnreadable(_logger, partition);
        return new SlackApiException(SlackErrorKind.Unauthorized, "installation", "stored_token_unreadable", null, null,
            $"The stored Slack token of {partition} does not decrypt with Slack:TokenEncryptionKey (was the key changed?); reinstall the app there.");
    }

    private static SlackApiException RefreshInProgress(string partition) =>
        new(SlackErrorKind.Retry, "oauth.v2.access", "token_refresh_in_progress", null, RefreshLease,
            $"The Slack token of {partition} has expired and another process is refreshing it; try again shortly.");

    private static SlackInstallation ToInstallation(TableEntity row) => new(
        row.PartitionKey[(row.PartitionKey.IndexOf('-', StringComparison.Ordinal) + 1)..],
        row.GetString("TeamId"),
        row.GetString("TeamName"),
        row.GetString("EnterpriseId"),
        row.GetString("EnterpriseName"),
        row.GetBoolean("IsEnterpriseInstall") ?? false,
        row.GetString("AppId"),
        row.GetString("BotUserId"),
        row.GetString("Scopes"),
        row.GetString("InstalledBy"),
        row.GetDateTimeOffset("InstalledAt") ?? default,
        row.GetDateTimeOffset("TokenExpiresAt"),
        row.GetBoolean("Revoked") ?? false,
        row.GetDateTimeOffset("RevokedAt"));

    [LoggerMessage(EventId = 1851, Level = LogLevel.Information, Message = "Slack app installed in {Installation} (org-wide: {OrgWide}, token rotation: {Rotating})")]
    private static partial void LogInstalled(ILogger logger, string installation, bool orgWide, bool rotating);

    [LoggerMessage(EventId = 1852, Level = LogLevel.Information, Message = "Slack bot token of {Installation} refreshed")]
    private static partial void LogRefreshed(ILogger logger, string installation);

    [LoggerMessage(EventId = 1853, Level = LogLevel.Warning, Message = "Refreshing the Slack bot token of {Installation} failed ({Error}); the current one is used while it lasts")]
    private static partial void LogRefreshFailed(ILogger logger, string installation, string error, Exception? exception);

    [LoggerMessage(EventId = 1854, Level = LogLevel.Warning, Message = "Slack installation {Installation} revoked: its tokens are deleted, its row kept")]
    private static partial void LogRevoked(ILogger logger, string installation);

    [LoggerMessage(EventId = 1855, Level = LogLevel.Error, Message = "The stored Slack token of {Installation} does not decrypt: was Slack:TokenEncryptionKey changed? Reinstall the app there")]
    private static partial void LogUnreadable(ILogger logger, string installation);

}
