using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Digest.Caching;
using Digest.Platforms.Teams.Schema;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Digest.Platforms.Teams.Authentication;

/// <summary>Which family of issuer signed a token: decides the extra checks (docs/protocols.md §2.4 step 5).</summary>
public enum BotTokenIssuerKind
{
    /// <summary><c>https://api.botframework.com</c>: keys carry channel endorsements and the token a <c>serviceurl</c> claim.</summary>
    BotFramework,

    /// <summary>The bot's own Entra tenant (SingleTenant and managed-identity bots).</summary>
    Entra,
}

/// <summary>A token that passed signature, issuer, audience, algorithm and lifetime checks.</summary>
public sealed record ValidatedBotToken(BotTokenIssuerKind Kind, string Issuer, ClaimsIdentity Identity, IReadOnlyList<string> Endorsements, string? ServiceUrlClaim);

/// <summary>The outcome of a check; on failure, a reason for the log (never for the caller).</summary>
public sealed record BotAuthenticationResult(ValidatedBotToken? Token, string? FailureReason)
{
    public bool Succeeded => Token is not null;

    public static BotAuthenticationResult Fail(string reason) => new(null, reason);
}

/// <summary>Validates inbound Bot Framework bearer tokens as docs/protocols.md §2.4 describes. Each issuer's tokens are
/// checked only against that issuer's own keys, so a key of one issuer can never vouch for another.</summary>
public sealed partial class BotTokenValidator
{
    /// <summary>Tokens longer than this are refused before parsing (docs/protocols.md §2.5 B2).</summary>
    public const int MaxTokenLength = 8 * 1024;

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly Dictionary<string, (BotTokenIssuerKind Kind, OpenIdKeySource Keys)> _issuers = new(StringComparer.Ordinal);
    private readonly string _appId;
    private readonly HashSet<string> _allowedEntraCallers;
    private readonly TimeProvider _time;
    private readonly ILogger<BotTokenValidator> _logger;
    private readonly ConditionalWeakTable<JsonWebKeySet, IList<SecurityKey>> _signingKeys = [];
    private readonly RecentMap<string, VerifiedToken> _verified;

    public BotTokenValidator(IOptions<BotOptions> options, IHttpClientFactory httpClientFactory, TimeProvider time, ILogger<BotTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClientFactory);
        var settings = options.Value;
        _appId = settings.AppId ?? "";
        _allowedEntraCallers = new HashSet<string>(settings.AllowedEntraCallers, StringComparer.OrdinalIgnoreCase);
        _time = time;
        _logger = logger;
        _verified = new RecentMap<string, VerifiedToken>(TimeSpan.FromMinutes(10), 1_000, time, StringComparer.Ordinal);

        var http = httpClientFactory.CreateClient(nameof(OpenIdKeySource));
        OpenIdKeySource Source(Uri url) => new(url, http, settings.KeyRefreshInterval, settings.KeyRefreshMinimumInterval, logger);

        _issuers[BotOptions.BotFrameworkIssuer] = (BotTokenIssuerKind.BotFramework, Source(settings.OpenIdMetadataUrls.BotFramework));
        if (Guid.TryParse(settings.TenantId, out var tenant))
        {
            var tenantId = tenant.ToString("D", CultureInfo.InvariantCulture);
            var entraKeys = Source(new Uri(settings.OpenIdMetadataUrls.Entra.Replace("{tenantId}", tenantId, StringComparison.Ordinal)));
            _issuers[$"https://sts.windows.net/{tenantId}/"] = (BotTokenIssuerKind.Entra, entraKeys);
            _issuers[$"https://login.microsoftonline.com/{tenantId}/v2.0"] = (BotTokenIssuerKind.Entra, entraKeys);
        }
    }

    /// <summary>Fetches the signing keys of every trusted issuer unless they are cached and fresh (readiness: tokens can
    /// be checked). Throws <see cref="SecurityTokenException"/> when an issuer's keys cannot be had.</summary>
    public async Task LoadKeysAsync(CancellationToken cancellationToken)
    {
        foreach (var source in _issuers.Values.Select(issuer => issuer.Keys).Distinct())
        {
            await source.GetKeysAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Checks the <c>Authorization</c> header values: exactly one, <c>Bearer</c>, one space, a bounded token.</summary>
    public static bool TryGetBearerToken(IReadOnlyList<string?> authorizationHeaders, out string token, out string failure)
    {
        ArgumentNullException.ThrowIfNull(authorizationHeaders);
        token = "";
        if (authorizationHeaders.Count != 1 || authorizationHeaders[0] is not { } header)
        {
            failure = authorizationHeaders.Count == 0 ? "no Authorization header" : "more than one Authorization header";
            return false;
        }

        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.Ordinal) || header.Length == Scheme.Length || header[Scheme.Length] == ' ')
        {
            failure = "Authorization is not 'Bearer <token>'";
            return false;
        }

        if (header.Length - Scheme.Length > MaxTokenLength)
        {
            failure = "token too long";
            return false;
        }

        token = header[Scheme.Length..];
        failure = "";
        return true;
    }

    /// <summary>Validates a token's signature, algorithm (RS256), issuer, audience (exactly our app id) and lifetime.</summary>
    /// <remarks>A channel sends the same token with every activity until it expires, so the very same string, verified
    /// by this process against the issuer's key set that is still current, and not yet expired, is accepted without
    /// verifying its signature again; a refreshed key set (a rollover, a revoked key) verifies every token afresh.</remarks>
    public async Task<BotAuthenticationResult> ValidateTokenAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_verified.TryGetValue(token, out var verified) && _time.GetUtcNow() < verified.ValidTo
            && ReferenceEquals(await verified.Source.GetKeysAsync(cancellationToken).ConfigureAwait(false), verified.Keys))
        {
            return verified.Result;
        }

        if (token.Length > MaxTokenLength)
        {
            return BotAuthenticationResult.Fail("token too long");
        }

        JsonWebToken unvalidated;
        try
        {
            unvalidated = new JsonWebToken(token);
        }
        catch (ArgumentException exception)
        {
            return BotAuthenticationResult.Fail($"not a JWT: {exception.GetType().Name}");
        }

        if (unvalidated.IsEncrypted)
        {
            return BotAuthenticationResult.Fail("encrypted tokens are not accepted");
        }

        // Pick the key source from the unvalidated issuer, refusing unknown issuers before any network call.
        var issuer = unvalidated.Issuer;
        if (!_issuers.TryGetValue(issuer, out var source))
        {
            return BotAuthenticationResult.Fail($"issuer '{Truncate(issuer)}' is not trusted");
        }

        if (!unvalidated.Audiences.SequenceEqual([_appId], StringComparer.Ordinal))
        {
            return BotAuthenticationResult.Fail("audience is not exactly this bot's app id");
        }

        var keys = await source.Keys.GetKeysAsync(cancellationToken).ConfigureAwait(false);
        var result = await _handler.ValidateTokenAsync(unvalidated, Parameters(issuer, keys)).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // A key we do not know yet may be a rollover: re-read the keys (rate limited) and try once more.
            keys = await source.Keys.RefreshForUnknownKeyAsync(cancellationToken).ConfigureAwait(false);
            result = await _handler.ValidateTokenAsync(unvalidated, Parameters(issuer, keys)).ConfigureAwait(false);
        }

        if (!result.IsValid)
        {
            return BotAuthenticationResult.Fail(result.Exception?.GetType().Name ?? "invalid token");
        }

        var signingKey = keys.Keys.FirstOrDefault(key => string.Equals(key.Kid, unvalidated.Kid, StringComparison.Ordinal));
        if (signingKey is null)
        {
            return BotAuthenticationResult.Fail("the signing key has no kid in the key set");
        }

        if (source.Kind == BotTokenIssuerKind.Entra)
        {
            var caller = unvalidated.TryGetPayloadValue<string>("azp", out var azp) ? azp
                : unvalidated.TryGetPayloadValue<string>("appid", out var appid) ? appid : null;
            if (_allowedEntraCallers.Count > 0 && (caller is null || !_allowedEntraCallers.Contains(caller)))
            {
                return BotAuthenticationResult.Fail($"Entra caller '{Truncate(caller ?? "")}' is not in Bot:AllowedEntraCallers");
            }

            LogEntraCaller(_logger, caller, issuer);
        }

        unvalidated.TryGetPayloadValue<string>("serviceurl", out var serviceUrlClaim);
        var accepted = new BotAuthenticationResult(
            new ValidatedBotToken(source.Kind, issuer, result.ClaimsIdentity, ReadEndorsements(signingKey), serviceUrlClaim),
            null);
        _verified.Set(token, new VerifiedToken(accepted, source.Keys, keys, new DateTimeOffset(DateTime.SpecifyKind(unvalidated.ValidTo, DateTimeKind.Utc))));
        return accepted;
    }

    private sealed record VerifiedToken(BotAuthenticationResult Result, OpenIdKeySource Source, JsonWebKeySet Keys, DateTimeOffset ValidTo);

    /// <summary>The checks that need the activity (docs/protocols.md §2.4 step 5): for the Bot Framework issuer, the
    /// signing key must be endorsed for the activity's channel and the <c>serviceurl</c> claim must equal its
    /// serviceUrl; for Entra tokens a <c>serviceurl</c> claim, when present, must equal it too.</summary>
    public static string? CheckActivity(ValidatedBotToken token, Activity activity)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(activity);
        if (token.Kind == BotTokenIssuerKind.BotFramework)
        {
            if (string.IsNullOrEmpty(activity.ChannelId))
            {
                return "activity has no channelId";
            }

            if (!token.Endorsements.Contains(activity.ChannelId, StringComparer.Ordinal))
            {
                return $"signing key is not endorsed for channel '{Truncate(activity.ChannelId)}'";
            }

            if (token.ServiceUrlClaim is null)
            {
                return "token has no serviceurl claim";
            }
        }

        if (token.ServiceUrlClaim is not null && !string.Equals(token.ServiceUrlClaim, activity.ServiceUrl, StringComparison.OrdinalIgnoreCase))
        {
            return "serviceurl claim does not match the activity's serviceUrl";
        }

        return null;
    }

    private TokenValidationParameters Parameters(string issuer, JsonWebKeySet keys) => new()
    {
        ValidIssuer = issuer,
        ValidateIssuer = true,
        ValidAudience = _appId,
        ValidateAudience = true,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        // Converted once per key set: each conversion builds every key (and parses its certificate) anew.
        IssuerSigningKeys = _signingKeys.GetValue(keys, set => set.GetSigningKeys()),
        TryAllIssuerSigningKeys = false,
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = ClockSkew,
        // IdentityModel reads the system clock; check lifetime against the injected one instead.
        LifetimeValidator = IsWithinLifetime,
        ValidateTokenReplay = false,
    };

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } expiry
            && now <= expiry.ToUniversalTime() + ClockSkew
            && (notBefore is not { } start || now >= start.ToUniversalTime() - ClockSkew);
    }

    private static List<string> ReadEndorsements(JsonWebKey key)
    {
        if (!key.AdditionalData.TryGetValue("endorsements", out var value) || value is null)
        {
            return [];
        }

        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.Array } array => [.. array.EnumerateArray().Where(item => item.ValueKind == JsonValueKind.String).Select(item => item.GetString()!)],
            IEnumerable<object> items => [.. items.OfType<string>()],
            _ => [],
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Entra-issued token accepted from caller {Caller} (issuer {Issuer})")]
    private static partial void LogEntraCaller(ILogger logger, string? caller, string issuer);

    private static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
