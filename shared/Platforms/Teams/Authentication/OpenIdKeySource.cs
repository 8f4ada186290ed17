using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Digest.Platforms.Teams.Authentication;

/// <summary>The signing keys one issuer publishes: its OpenID metadata document and <c>jwks_uri</c>, held by IdentityModel's
/// <see cref="ConfigurationManager{T}"/>, which re-reads them every <see cref="BotOptions.KeyRefreshInterval"/>, keeps the
/// last good keys while the endpoint fails, and honours a refresh request (an unknown <c>kid</c>) at most once per
/// <see cref="BotOptions.KeyRefreshMinimumInterval"/>.</summary>
public sealed partial class OpenIdKeySource
{
    private readonly ConfigurationManager<OpenIdConnectConfiguration> _metadata;

    /// <summary>The AppContext switch that makes IdentityModel re-read metadata within the call that asked for it. Without
    /// it, once some keys are held, refreshes run in the background, so a token signed with a key rolled over a moment ago
    /// is refused while the refresh runs; with it, that request waits for the refresh (bounded by the client's timeout)
    /// and is accepted. IdentityModel reads the switch once per process, before this class is first used, so it is set
    /// in each program's runtimeconfig (Directory.Build.props), and the front end's validator refuses to start without it.</summary>
    public const string BlockingRefreshSwitch = "Switch.Microsoft.IdentityModel.UpdateConfigAsBlocking";

    /// <param name="metadataUrl">The issuer's metadata document; https, or a loopback address (tests, local runs).</param>
    /// <param name="http">The client the documents are read with; its response buffer limit bounds their size.</param>
    /// <param name="refreshInterval">How often the keys are re-read unasked.</param>
    /// <param name="minimumForcedRefreshInterval">Least time between two refreshes asked for by unknown keys.</param>
    /// <param name="logger">Where each document read, and each failure to read one, is logged (IdentityModel logs elsewhere).</param>
    public OpenIdKeySource(Uri metadataUrl, HttpClient http, TimeSpan refreshInterval, TimeSpan minimumForcedRefreshInterval, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(metadataUrl);
        MetadataUrl = metadataUrl;
        _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            metadataUrl.AbsoluteUri,
            new OpenIdConnectConfigurationRetriever(),
            new LoggedDocumentRetriever(new HttpDocumentRetriever(http) { RequireHttps = !metadataUrl.IsLoopback }, logger))
        {
            AutomaticRefreshInterval = refreshInterval,
            RefreshInterval = minimumForcedRefreshInterval,
        };
    }

    public Uri MetadataUrl { get; }

    /// <summary>The current key set: the same instance until the keys are re-read, so a caller can tell a refresh by
    /// reference. Throws <see cref="SecurityTokenException"/> when no keys have ever been read.</summary>
    public async ValueTask<JsonWebKeySet> GetKeysAsync(CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await _metadata.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            return metadata.JsonWebKeySet ?? throw new SecurityTokenException($"The OpenID metadata at {MetadataUrl} has no key set.");
        }
        catch (InvalidOperationException exception)
        {
            // IdentityModel's answer when the metadata could not be read and no earlier keys are kept.
            throw new SecurityTokenException($"No signing keys available from {MetadataUrl}.", exception);
        }
    }

    /// <summary>Asks for the keys to be re-read after a token named a key we do not know (a rollover), unless that was
    /// asked less than the minimum interval ago; returns whatever is current afterwards.</summary>
    public async ValueTask<JsonWebKeySet> RefreshForUnknownKeyAsync(CancellationToken cancellationToken)
    {
        _metadata.RequestRefresh();
        return await GetKeysAsync(cancellationToken).ConfigureAwait(false);
    }

    // Logs each read of the metadata or the key set, and each failure without handling it (ConfigurationManager keeps
    // the last good keys and decides when to try again).
    private sealed class LoggedDocumentRetriever(IDocumentRetriever inner, ILogger logger) : IDocumentRetriever
    {
        public async Task<string> GetDocumentAsync(string address, CancellationToken cancel)
        {
            try
            {
                var document = await inner.GetDocumentAsync(address, cancel).ConfigureAwait(false);
                LogDocumentRead(logger, address, document.Length);
                return document;
            }
            catch (Exception exception) when (Failed(address, exception))
            {
                throw; // never reached: the filter logs and declines
            }
        }

        private bool Failed(string address, Exception exception)
        {
            LogDocumentFailed(logger, address, exception);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Read {Address} for the token signing keys ({Length} characters)")]
    private static partial void LogDocumentRead(ILogger logger, string address, int length);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read {Address} for the token signing keys; the last good keys, if any, stay in use")]
    private static partial void LogDocumentFailed(ILogger logger, string address, Exception exception);
}
