using Microsoft.Extensions.Options;

namespace Digest.Platforms.Teams;

/// <summary>The cross-field rules of <see cref="BotOptions"/>, with messages that say which setting to fix. Without an
/// app id the connector sends, with no token, to loopback service URLs only (a local Agents Playground); whether a host
/// may also accept requests unauthenticated is the front end's rule (<c>TeamsFrontEndOptionsValidator</c>).</summary>
public sealed class BotOptionsValidator : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (!options.AuthenticationDisabled)
        {
            if (!Guid.TryParse(options.AppId, out _))
            {
                failures.Add("Bot:AppId must be the bot's Microsoft App ID, a GUID.");
            }

            if (!Guid.TryParse(options.TenantId, out _))
            {
                failures.Add("Bot:TenantId must be the GUID of the bot identity's Entra tenant (SingleTenant and UserAssignedMSI bots both need it).");
            }

            switch (options.AppType)
            {
                case BotAppType.SingleTenant when string.IsNullOrWhiteSpace(options.AppPassword):
                    failures.Add("Bot:AppPassword is required for a SingleTenant bot: set it from the environment (Bot__AppPassword) or Key Vault, never in a file in the repository.");
                    break;
                case BotAppType.UserAssignedMSI when !string.IsNullOrEmpty(options.AppPassword):
                    failures.Add("Bot:AppPassword must be empty for a UserAssignedMSI bot: the managed identity has no secret.");
                    break;
                default:
                    break;
            }
        }

        if (!Enum.IsDefined(options.AppType))
        {
            failures.Add("Bot:AppType must be SingleTenant or UserAssignedMSI.");
        }

        CheckMetadataUrl(options.OpenIdMetadataUrls.BotFramework, "Bot:OpenIdMetadataUrls:BotFramework", failures);
        if (!Uri.TryCreate(options.OpenIdMetadataUrls.Entra.Replace("{tenantId}", "tenant", StringComparison.Ordinal), UriKind.Absolute, out var entra))
        {
            failures.Add("Bot:OpenIdMetadataUrls:Entra must be an absolute URL (it may contain {tenantId}).");
        }
        else
        {
            CheckMetadataUrl(entra, "Bot:OpenIdMetadataUrls:Entra", failures);
        }

        if (options.AllowedServiceUrls.Count == 0 && !options.AuthenticationDisabled)
        {
            failures.Add("Bot:AllowedServiceUrls must list at least one service URL pattern, e.g. https://smba.trafficmanager.net.");
        }

        foreach (var pattern in options.AllowedServiceUrls)
        {
            if (!ServiceUrlPattern.TryParse(pattern, out _, out var reason))
            {
                failures.Add($"Bot:AllowedServiceUrls entry '{pattern}' is not valid: {reason}");
            }
        }

        if (options.TokenEndpoint is { } endpoint)
        {
            CheckMetadataUrl(endpoint, "Bot:TokenEndpoint", failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // Keys and tokens fetched over plain HTTP could be swapped on the way; loopback is allowed for tests and local use.
    private static void CheckMetadataUrl(Uri? url, string key, List<string> failures)
    {
        if (url is null || !url.IsAbsoluteUri)
        {
            failures.Add($"{key} must be an absolute URL.");
        }
        else if (url.Scheme != Uri.UriSchemeHttps && !url.IsLoopback)
        {
            failures.Add($"{key} must use https (plain http is allowed for loopback only): '{url}'.");
        }
    }
}
