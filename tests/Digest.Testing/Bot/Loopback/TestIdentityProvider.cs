using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Digest.Tests.Bot.Loopback;

/// <summary>A loopback stand-in for login.botframework.com and Entra: OpenID metadata documents, JWK sets (Bot
/// Framework keys carry <c>endorsements</c>), an OAuth 2 client-credentials token endpoint, and a token minter
/// with the matching private keys.</summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string BotFrameworkKeyId = "bf-teams";
    public const string WebChatOnlyKeyId = "bf-webchat";

    /// <summary>A Bot Framework key endorsed for the Slack channel of Azure Bot Service only.</summary>
    public const string SlackChannelKeyId = "bf-slack";
    public const string EntraKeyId = "entra-1";
    public const string ClientSecret = "loopback-test-secret";

    private readonly ConcurrentDictionary<string, (RSA Key, string[]? Endorsements)> _botFrameworkKeys = new(StringComparer.Ordinal);
    private readonly RSA _entraKey = RSA.Create(2048);
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _tokenRequests = new();
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private int _botFrameworkKeyFetches;
    private int _tokensIssued;
    private int _tokenFailuresPlanned;
    private volatile bool _keysDown;

    private TestIdentityProvider(string appId, string tenantId)
    {
        AppId = appId;
        TenantId = tenantId;
        _botFrameworkKeys[BotFrameworkKeyId] = (RSA.Create(2048), ["msteams", "emulator"]);
        _botFrameworkKeys[WebChatOnlyKeyId] = (RSA.Create(2048), ["webchat"]);
        _botFrameworkKeys[SlackChannelKeyId] = (RSA.Create(2048), ["slack"]);
    }

    public string AppId { get; }

    public string TenantId { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public Uri BotFrameworkMetadataUrl => new(BaseAddress, "/botframework/v1/.well-known/openidconfiguration");

    /// <summary>With <c>{tenantId}</c>, as Bot:OpenIdMetadataUrls:Entra expects.</summary>
    public string EntraMetadataUrlTemplate => BaseAddress + "entra/{tenantId}/v2.0/.well-known/openid-configuration";

    public Uri TokenEndpoint => new(BaseAddress, "/oauth2/v2.0/token");

    public string EntraIssuerV2 => $"https://login.microsoftonline.com/{TenantId}/v2.0";

    public string EntraIssuerV1 => $"https://sts.windows.net/{TenantId}/";

    /// <summary>How many times the Bot Framework JWK set was read.</summary>
    public int BotFrameworkKeyFetches => Volatile.Read(ref _botFrameworkKeyFetches);

    /// <summary>The form fields of every token request received.</summary>
    public IReadOnlyCollection<IReadOnlyDictionary<string, string>> TokenRequests => _tokenRequests;

    /// <summary>The access tokens issued so far: <c>connector-token-1</c>, <c>-2</c>, …</summary>
    public int TokensIssued => Volatile.Read(ref _tokensIssued);

    public static async Task<TestIdentityProvider> StartAsync(string appId, string tenantId, CancellationToken cancellationToken)
    {
        var provider = new TestIdentityProvider(appId, tenantId);
        var (app, address) = await LoopbackServer.StartAsync(provider.Map, cancellationToken);
        provider._app = app;
        provider.BaseAddress = new Uri(address + "/");
        return provider;
    }

    /// <summary>While true, the Bot Framework key set answers 503.</summary>
    public bool KeysDown { get => _keysDown; set => _keysDown = value; }

    /// <summary>The next <paramref name="count"/> token requests get a 503 with an OAuth error body, as Entra gives
    /// during an outage.</summary>
    public void FailNextTokenRequests(int count) => Interlocked.Exchange(ref _tokenFailuresPlanned, count);

    /// <summary>Publishes another Bot Framework key (a rollover); tokens signed with it validate once the bot re-reads the keys.</summary>
    public void PublishBotFrameworkKey(string keyId, RSA key, params string[] endorsements) => _botFrameworkKeys[keyId] = (key, endorsements);

    /// <summary>Stops publishing a Bot Framework key (retired, or revoked).</summary>
    public void RetireBotFrameworkKey(string keyId) => _botFrameworkKeys.TryRemove(keyId, out _);

    public RSA BotFrameworkKey(string keyId = BotFrameworkKeyId) => _botFrameworkKeys[keyId].Key;

    public RSA EntraKey => _entraKey;

    /// <summary>A Bot Framework channel token as the Bot Connector sends it.</summary>
    public string ChannelToken(string serviceUrl, string? keyId = null, string? audience = null, DateTimeOffset? notBefore = null, DateTimeOffset? expires = null, string? issuer = null)
    {
        var kid = keyId ?? BotFrameworkKeyId;
        return Mint(BotFrameworkKey(kid), kid, issuer ?? "https://api.botframework.com", audience ?? AppId, new() { ["serviceurl"] = serviceUrl }, notBefore, expires);
    }

    /// <summary>A token from the bot's Entra tenant (v2 issuer by default).</summary>
    public string EntraToken(string? issuer = null, string? audience = null, Dictionary<string, object>? claims = null) =>
        Mint(_entraKey, EntraKeyId, issuer ?? EntraIssuerV2, audience ?? AppId, claims ?? new() { ["azp"] = "bot-service", ["tid"] = TenantId }, null, null);

    /// <summary>Signs any claims with any RSA key and algorithm (RS256 unless told), for hostile-token tests.</summary>
    public static string Mint(RSA key, string keyId, string issuer, object audience, Dictionary<string, object> claims, DateTimeOffset? notBefore, DateTimeOffset? expires, string algorithm = SecurityAlgorithms.RsaSha256, Dictionary<string, object>? extraHeader = null) =>
        Mint(new RsaSecurityKey(key) { KeyId = keyId }, algorithm, issuer, audience, claims, notBefore, expires, extraHeader);

    /// <summary>Signs with any key type (ECDsa for the ES256 case).</summary>
    public static string Mint(SecurityKey key, string algorithm, string issuer, object audience, Dictionary<string, object> claims, DateTimeOffset? notBefore, DateTimeOffset? expires, Dictionary<string, object>? extraHeader = null)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var now = TimeProvider.System.GetUtcNow();
        var payload = new Dictionary<string, object>(claims) { ["aud"] = audience };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Claims = payload,
            NotBefore = (notBefore ?? now.AddMinutes(-1)).UtcDateTime,
            Expires = (expires ?? now.AddHours(1)).UtcDateTime,
            IssuedAt = (notBefore ?? now.AddMinutes(-1)).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, algorithm),
            AdditionalHeaderClaims = extraHeader,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>Base64url of a JSON object, for hand-built tokens.</summary>
    public static string Segment(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    public static string Base64Url(byte[] bytes) => Base64UrlEncoder.Encode(bytes);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        foreach (var (key, _) in _botFrameworkKeys.Values)
        {
            key.Dispose();
        }

        _entraKey.Dispose();
    }

    private void Map(Microsoft.AspNetCore.Builder.WebApplication app)
    {
        app.MapGet("/botframework/v1/.well-known/openidconfiguration", () => Results.Text(new JsonObject
        {
            ["issuer"] = "https://api.botframework.com",
            ["authorization_endpoint"] = "https://invalid.botframework.com",
            ["jwks_uri"] = new Uri(BaseAddress, "/botframework/v1/.well-known/keys").ToString(),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
        }.ToJsonString(), "application/json"));
        app.MapGet("/botframework/v1/.well-known/keys", () =>
        {
            Interlocked.Increment(ref _botFrameworkKeyFetches);
            if (_keysDown)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            var keys = new JsonArray();
            foreach (var (kid, (key, endorsements)) in _botFrameworkKeys)
            {
                keys.Add(Jwk(kid, key, endorsements));
            }

            return Results.Text(new JsonObject { ["keys"] = keys }.ToJsonString(), "application/json");
        });
        app.MapGet("/entra/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Results.Text(new JsonObject
        {
            ["issuer"] = $"https://login.microsoftonline.com/{tenant}/v2.0",
            ["jwks_uri"] = new Uri(BaseAddress, "/entra/discovery/v2.0/keys").ToString(),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        }.ToJsonString(), "application/json"));
        app.MapGet("/entra/discovery/v2.0/keys", () => Results.Text(new JsonObject
        {
            ["keys"] = new JsonArray(Jwk(EntraKeyId, _entraKey, null)),
        }.ToJsonString(), "application/json"));
        app.MapPost("/oauth2/v2.0/token", async (HttpContext context) =>
        {
            // RFC 6749 §4.4: form-encoded client credentials; errors per §5.2.
            if (!context.Request.HasFormContentType)
            {
                return OAuthError("invalid_request", "form body expected");
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var fields = form.ToDictionary(pair => pair.Key, pair => pair.Value.ToString(), StringComparer.Ordinal);
            _tokenRequests.Enqueue(fields);
            if (Interlocked.Decrement(ref _tokenFailuresPlanned) >= 0)
            {
                return OAuthError("temporarily_unavailable", "AADSTS90033: A transient error has occurred. Please try again.", 503);
            }

            if (fields.GetValueOrDefault("grant_type") != "client_credentials")
            {
                return OAuthError("unsupported_grant_type", "only client_credentials");
            }

            if (fields.GetValueOrDefault("client_id") != AppId || fields.GetValueOrDefault("client_secret") != ClientSecret)
            {
                return OAuthError("invalid_client", "AADSTS7000215: Invalid client secret provided.", 401);
            }

            if (fields.GetValueOrDefault("scope") != "https://api.botframework.com/.default")
            {
                return OAuthError("invalid_scope", "AADSTS70011: scope");
            }

            var number = Interlocked.Increment(ref _tokensIssued);
            return Results.Text(new JsonObject
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = 3599,
                ["ext_expires_in"] = 3599,
                ["access_token"] = $"connector-token-{number}",
            }.ToJsonString(), "application/json");
        });
    }

    private static IResult OAuthError(string error, string description, int status = 400) =>
        Results.Text(new JsonObject { ["error"] = error, ["error_description"] = description }.ToJsonString(), "application/json", statusCode: status);

    private static JsonObject Jwk(string kid, RSA key, string[]? endorsements)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var jwk = new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = kid,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
        if (endorsements is not null)
        {
            jwk["endorsements"] = new JsonArray([.. endorsements.Select(value => (JsonNode)value)]);
        }

        return jwk;
    }
}
