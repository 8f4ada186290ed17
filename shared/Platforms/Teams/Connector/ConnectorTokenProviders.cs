using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Digest.Platforms.Teams.Schema;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Digest.Platforms.Teams.Connector;

/// <summary>Gives the bearer token for Bot Connector calls; null when authentication is disabled (Development only).</summary>
public interface IConnectorTokenProvider
{
    ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>Caches one token until shortly before it expires and lets one caller at a time fetch a new one.</summary>
public abstract class CachingTokenProvider(TimeProvider time) : IConnectorTokenProvider
{
    // Refresh a little early so a token never expires on its way to the connector.
    private static readonly TimeSpan EarlyRefresh = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Token, DateTimeOffset RefreshAt)? _cached;

    public async ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } cached && time.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Token;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cached is { } again && time.GetUtcNow() < again.RefreshAt)
            {
                return again.Token;
            }

            var (token, expiresOn) = await FetchAsync(cancellationToken).ConfigureAwait(false);
            var lifetime = expiresOn - time.GetUtcNow();
            var refreshAt = time.GetUtcNow() + (lifetime > EarlyRefresh * 2 ? lifetime - EarlyRefresh : lifetime / 2);
            _cached = (token, refreshAt);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Asks the identity provider for a new token and when it expires.</summary>
    protected abstract Task<(string Token, DateTimeOffset ExpiresOn)> FetchAsync(CancellationToken cancellationToken);
}

/// <summary>OAuth 2 client credentials (RFC 6749 §4.4) against the tenant's token endpoint: a SingleTenant bot.</summary>
public sealed class ClientCredentialsTokenProvider(HttpClient http, IOptions<BotOptions> options, TimeProvider time) : CachingTokenProvider(time)
{
    private readonly TimeProvider _time = time;

    protected override async Task<(string Token, DateTimeOffset ExpiresOn)> FetchAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var form = new FormUrlEncodedContent(
        [
            new("grant_type", "client_credentials"),
            new("client_id", settings.AppId ?? ""),
            new("client_secret", settings.AppPassword ?? ""),
            new("scope", settings.ConnectorScope),
        ]);
        try
        {
            // The client's pipeline has already retried what is worth retrying (429, 5xx, timeouts, lost connections).
            using var response = await http.PostAsync(settings.ResolveTokenEndpoint(), form, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // The error body (RFC 6749 §5.2) names the problem, e.g. AADSTS700016 for a wrong authority. Only a refusal
                // of the credentials is Unauthorized (which pauses every send); an outage is transient.
                var status = (int)response.StatusCode;
                var error = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                var failure = status is 408 or 429 or >= 500 ? ConnectorFailure.Transient : ConnectorFailure.Unauthorized;
                throw new ConnectorException(failure, status, null,
                    $"The token endpoint {(failure == ConnectorFailure.Unauthorized ? "refused the client credentials" : "is unavailable")}: {status} {error[..Math.Min(error.Length, 500)]}");
            }

            var body = await response.Content.ReadFromJsonAsync(BotJsonContext.Default.OAuthTokenResponse, cancellationToken).ConfigureAwait(false);
            if (body?.AccessToken is not { Length: > 0 } token || !string.Equals(body.TokenType, "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                throw new ConnectorException(ConnectorFailure.Unauthorized, (int)response.StatusCode, null, "The token endpoint answered without a bearer access_token.");
            }

            return (token, _time.GetUtcNow().AddSeconds(Math.Max(60, body.ExpiresIn ?? 3600)));
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or JsonException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ConnectorException(ConnectorFailure.Transient, null, null, $"The token endpoint gave no usable answer: {exception.Message}", exception);
        }
    }
}

/// <summary>A user-assigned managed identity whose client id is the bot's app id (Azure.Identity).</summary>
public sealed class ManagedIdentityTokenProvider(IOptions<BotOptions> options, TimeProvider time) : CachingTokenProvider(time)
{
    private readonly ManagedIdentityCredential _credential = new(ManagedIdentityId.FromUserAssignedClientId(options.Value.AppId ?? ""));

    protected override async Task<(string Token, DateTimeOffset ExpiresOn)> FetchAsync(CancellationToken cancellationToken)
    {
        try
        {
            var token = await _credential.GetTokenAsync(new TokenRequestContext([options.Value.ConnectorScope]), cancellationToken).ConfigureAwait(false);
            return (token.Token, token.ExpiresOn);
        }
        catch (AuthenticationFailedException exception)
        {
            throw new ConnectorException(ConnectorFailure.Unauthorized, null, null, $"The managed identity could not get a token: {exception.Message}", exception);
        }
    }
}

/// <summary>No token: only when Bot:AppId is empty in Development (the Agents Playground's connector needs none).</summary>
public sealed class NoTokenProvider : IConnectorTokenProvider
{
    public ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken) => ValueTask.FromResult<string?>(null);
}
