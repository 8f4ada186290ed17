using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Digest.Platforms.Teams.Authentication;

/// <summary>The signing keys one issuer publishes: an OpenID metadata document and its <c>jwks_uri</c>, cached,
/// re-read every <see cref="BotOptions.KeyRefreshInterval"/>, and re-read on demand (an unknown <c>kid</c>) at most
/// once per <see cref="BotOptions.KeyRefreshMinimumInterval"/>.</summary>
public sealed partial class OpenIdKeySource(
    Uri metadataUrl,
    HttpClient http,
    TimeProvider time,
    TimeSpan refreshInterval,
    TimeSpan minimumForcedRefreshInterval,
    ILogger logger)
{
    private const int MaxDocumentBytes = 512 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile JsonWebKeySet? _keys;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastForcedRefresh = DateTimeOffset.MinValue;

    public Uri MetadataUrl => metadataUrl;

    /// <summary>The current key set, fetching it when none is cached or the cached one is stale.</summary>
    public async ValueTask<JsonWebKeySet> GetKeysAsync(CancellationToken cancellationToken)
    {
        var keys = _keys;
        if (keys is not null && time.GetUtcNow() - _fetchedAt < refreshInterval)
        {
            return keys;
        }

        return await RefreshAsync(force: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-reads the keys after a token named a key we do not know (rollover), unless that was done
    /// less than the minimum interval ago; returns whatever is current afterwards.</summary>
    public async ValueTask<JsonWebKeySet> RefreshForUnknownKeyAsync(CancellationToken cancellationToken) =>
        await RefreshAsync(force: true, cancellationToken).ConfigureAwait(false);

    private async ValueTask<JsonWebKeySet> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        var before = _keys;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (_keys is { } current && !ReferenceEquals(current, before))
            {
                return current; // someone else refreshed while we waited
            }

            if (_keys is { } cached)
            {
                if (force && now - _lastForcedRefresh < minimumForcedRefreshInterval)
                {
                    LogForcedRefreshSkipped(logger, metadataUrl);
                    return cached;
                }

                if (!force && now - _fetchedAt < refreshInterval)
                {
                    return cached;
                }
            }

            if (force)
            {
                _lastForcedRefresh = now;
            }

            try
            {
                var metadataJson = await GetDocumentAsync(metadataUrl, cancellationToken).ConfigureAwait(false);
                var metadata = OpenIdConnectConfiguration.Create(metadataJson);
                if (!Uri.TryCreate(metadata.JwksUri, UriKind.Absolute, out var jwksUri)
                    || (jwksUri.Scheme != Uri.UriSchemeHttps && !jwksUri.IsLoopback))
                {
                    throw new InvalidOperationException($"The OpenID metadata at {metadataUrl} has no usable https jwks_uri.");
                }

                var keys = new JsonWebKeySet(await GetDocumentAsync(jwksUri, cancellationToken).ConfigureAwait(false));
                _keys = keys;
                _fetchedAt = now;
                LogKeysFetched(logger, metadataUrl, keys.Keys.Count);
                return keys;
            }
            catch (Exception exception) when (exception is HttpRequestException or ArgumentException or InvalidOperationException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Keep serving the last good keys when the metadata endpoint has a bad moment.
                LogKeysFetchFailed(logger, metadataUrl, exception);
                return _keys ?? throw new SecurityTokenException($"No signing keys available from {metadataUrl}.", exception);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> GetDocumentAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxDocumentBytes)
        {
            throw new InvalidOperationException($"The document at {url} is larger than {MaxDocumentBytes} bytes.");
        }

        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {Count} signing keys from {MetadataUrl}")]
    private static partial void LogKeysFetched(ILogger logger, Uri metadataUrl, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch signing keys from {MetadataUrl}")]
    private static partial void LogKeysFetchFailed(ILogger logger, Uri metadataUrl, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A token named an unknown signing key; keys from {MetadataUrl} were refreshed too recently to refresh again")]
    private static partial void LogForcedRefreshSkipped(ILogger logger, Uri metadataUrl);
}
