using System.ComponentModel.DataAnnotations;

namespace Digest.Platforms.Teams;

/// <summary>How the bot authenticates to the Bot Connector (and which Entra issuers it trusts inbound).</summary>
public enum BotAppType
{
    /// <summary>An Entra app registration in one tenant, with a client secret (<c>Bot:AppPassword</c>).</summary>
    SingleTenant,

    /// <summary>A user-assigned managed identity whose client id is <c>Bot:AppId</c>; no secret.</summary>
    UserAssignedMSI,
}

/// <summary>Configuration section <c>Bot</c>; validated at start-up by <see cref="BotOptionsValidator"/>.</summary>
public sealed class BotOptions
{
    public const string SectionName = "Bot";

    /// <summary>The legacy Bot Framework channel issuer (the <c>iss</c> of tokens from the Bot Connector).</summary>
    public const string BotFrameworkIssuer = "https://api.botframework.com";

    /// <summary>The Microsoft App ID (a GUID): the audience of inbound tokens and the client id outbound.
    /// Empty only in Development, where requests are then accepted unauthenticated (Agents Playground).</summary>
    public string? AppId { get; set; }

    /// <summary>The Entra tenant of the bot's identity.</summary>
    public string? TenantId { get; set; }

    public BotAppType AppType { get; set; } = BotAppType.SingleTenant;

    /// <summary>The client secret of a SingleTenant bot. Set it from the environment or Key Vault only.</summary>
    public string? AppPassword { get; set; }

    /// <summary>Where the signing keys of each trusted issuer are published.</summary>
    public OpenIdMetadataUrls OpenIdMetadataUrls { get; set; } = new();

    /// <summary>Service URLs the bot may send its bearer token to: <c>scheme://host[:port]</c>, where the host may
    /// start with <c>*.</c> to allow its subdomains. Anything else is refused inbound and outbound.</summary>
    public List<string> AllowedServiceUrls { get; set; } = [];

    /// <summary>For Entra-issued inbound tokens: the <c>azp</c> (v2) / <c>appid</c> (v1) values allowed to call the bot.
    /// Empty accepts any caller with a token for this app id from the bot's tenant, and logs the caller so that
    /// a deployment can pin it (docs/protocols.md §2.3: the value Azure Bot Service uses is not documented).</summary>
    public List<string> AllowedEntraCallers { get; set; } = [];

    /// <summary>Tenants allowed to talk to the bot; empty allows every tenant.</summary>
    public List<string> AllowedTenantIds { get; set; } = [];

    /// <summary>The OAuth 2 token endpoint for client credentials; defaults to the tenant's Entra v2 endpoint.</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The scope asked for outbound tokens.</summary>
    [Required]
    public string ConnectorScope { get; set; } = "https://api.botframework.com/.default";

    /// <summary>Largest accepted request body.</summary>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 256 * 1024;

    /// <summary>How often the signing keys are re-read even when nothing asks for it (the docs ask for at least daily).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00")]
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Least time between two key refreshes forced by a token with an unknown <c>kid</c>, so forged
    /// tokens cannot make the bot hammer the metadata endpoint.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeyRefreshMinimumInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>True when no app id is configured: only ever allowed in Development (checked at start-up).</summary>
    public bool AuthenticationDisabled => string.IsNullOrWhiteSpace(AppId);

    /// <summary>The Entra v2 token endpoint of <see cref="TenantId"/>, unless <see cref="TokenEndpoint"/> overrides it.</summary>
    public Uri ResolveTokenEndpoint() =>
        TokenEndpoint ?? new Uri($"https://login.microsoftonline.com/{Uri.EscapeDataString(TenantId ?? "")}/oauth2/v2.0/token");
}

/// <summary>OpenID metadata documents (with <c>jwks_uri</c>) per issuer family.</summary>
public sealed class OpenIdMetadataUrls
{
    /// <summary>Keys of the legacy Bot Framework issuer (with per-key channel endorsements).</summary>
    public Uri BotFramework { get; set; } = new("https://login.botframework.com/v1/.well-known/openidconfiguration");

    /// <summary>Keys of the bot's Entra tenant; <c>{tenantId}</c> is replaced by <see cref="BotOptions.TenantId"/>.</summary>
    public string Entra { get; set; } = "https://login.microsoftonline.com/{tenantId}/v2.0/.well-known/openid-configuration";
}
