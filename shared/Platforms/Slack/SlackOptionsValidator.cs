using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary>The cross-field rules of <see cref="SlackOptions"/>, with messages that say which setting to fix.</summary>
public sealed partial class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var anySet = !string.IsNullOrWhiteSpace(options.BotToken) || !string.IsNullOrWhiteSpace(options.ClientId)
            || !string.IsNullOrWhiteSpace(options.ClientSecret) || !string.IsNullOrWhiteSpace(options.TokenEncryptionKey);

        if (!options.Enabled)
        {
            // A half-configured Slack would start silently unreachable: every Slack request would be refused.
            if (anySet)
            {
                failures.Add("Slack:SigningSecret is required when any other Slack setting is set (Slack is enabled by its signing secret, from the app's Basic Information page; set it as Slack__SigningSecret). Remove the other Slack:* settings for a deployment without Slack.");
            }

            return Result(failures);
        }

        if (options.SigningSecret!.Length < 16 || options.SigningSecret.Any(char.IsWhiteSpace))
        {
            failures.Add("Slack:SigningSecret must be the app's signing secret as Slack shows it (at least 16 characters, no spaces).");
        }

        var hasBotToken = !string.IsNullOrWhiteSpace(options.BotToken);
        var oauthParts = new[] { options.ClientId, options.ClientSecret, options.TokenEncryptionKey };
        var oauthCount = oauthParts.Count(part => !string.IsNullOrWhiteSpace(part));
        if (hasBotToken && oauthCount > 0)
        {
            failures.Add("Set either Slack:BotToken (one workspace) or Slack:ClientId, Slack:ClientSecret and Slack:TokenEncryptionKey (OAuth installs into any number of workspaces), not both.");
        }
        else if (!hasBotToken && oauthCount < oauthParts.Length)
        {
            var missing = new List<string>();
            if (string.IsNullOrWhiteSpace(options.ClientId))
            {
                missing.Add("Slack:ClientId");
            }

            if (string.IsNullOrWhiteSpace(options.ClientSecret))
            {
                missing.Add("Slack:ClientSecret");
            }

            if (string.IsNullOrWhiteSpace(options.TokenEncryptionKey))
            {
                missing.Add("Slack:TokenEncryptionKey");
            }

            failures.Add($"Slack is enabled but has no way to send: set Slack:BotToken (one workspace) or all of Slack:ClientId, Slack:ClientSecret and Slack:TokenEncryptionKey (OAuth installs); missing {string.Join(", ", missing)}.");
        }

        if (hasBotToken && !options.BotToken!.StartsWith("xoxb-", StringComparison.Ordinal))
        {
            failures.Add("Slack:BotToken must be a bot token (it starts with xoxb-; OAuth & Permissions → Bot User OAuth Token).");
        }

        if (!string.IsNullOrWhiteSpace(options.ClientId) && !ClientIdPattern().IsMatch(options.ClientId))
        {
            failures.Add("Slack:ClientId must be the app's client id as Slack shows it (digits, a dot, digits, e.g. 1234567890.1234567890).");
        }

        if (!string.IsNullOrWhiteSpace(options.TokenEncryptionKey) && !SlackKeys.TryDecode(options.TokenEncryptionKey, out _))
        {
            failures.Add("Slack:TokenEncryptionKey must be base64 of exactly 32 random bytes (e.g. `openssl rand -base64 32`).");
        }

        if (!IsSafeUrl(options.ApiBaseUrl) || !options.ApiBaseUrl.AbsolutePath.EndsWith('/'))
        {
            failures.Add($"Slack:ApiBaseUrl must be an absolute https URL ending with '/' (plain http is allowed for loopback only), e.g. {SlackOptions.DefaultApiBaseUrl}; it is '{options.ApiBaseUrl}'.");
        }

        foreach (var prefix in options.AllowedResponseUrls)
        {
            if (!Uri.TryCreate(prefix, UriKind.Absolute, out var url) || !IsSafeUrl(url) || !url.AbsolutePath.EndsWith('/') || url.UserInfo.Length > 0 || url.Query.Length > 0)
            {
                failures.Add($"Slack:AllowedResponseUrls entry '{prefix}' must be an absolute https URL ending with '/' (plain http is allowed for loopback only), without user info or query.");
            }
        }

        return Result(failures);
    }

    private static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

    // The bot token and the client secret go to these hosts; loopback is allowed for tests and local use.
    private static bool IsSafeUrl(Uri? url) =>
        url is { IsAbsoluteUri: true } && (url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && url.IsLoopback));

    [GeneratedRegex(@"^[0-9]{1,20}\.[0-9]{1,20}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClientIdPattern();
}
