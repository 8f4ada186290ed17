using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack.Installations;

/// <summary>Where to send the browser to install the app, and the value of the cookie that binds the round trip to it.</summary>
/// <param name="AuthorizeUrl">Slack's <c>oauth/v2/authorize</c> with the client id, scopes, redirect URI and state.</param>
/// <param name="BrowserBinding">The value of the <see cref="SlackInstallFlow.BindingCookie"/> cookie.</param>
/// <param name="CookieLifetime">How long the cookie (and the state) are good for.</param>
public sealed record SlackInstallRedirect(Uri AuthorizeUrl, string BrowserBinding, TimeSpan CookieLifetime);

/// <summary>What Slack's redirect back to <see cref="SlackInstallFlow.RedirectPath"/> brought.</summary>
/// <param name="Code">The one-time code to exchange.</param>
/// <param name="State">The state the install started with.</param>
/// <param name="Error">Slack's error (<c>access_denied</c> when the person cancelled).</param>
/// <param name="BrowserBinding">The <see cref="SlackInstallFlow.BindingCookie"/> cookie of the request.</param>
/// <param name="RedirectUri">The redirect URI the authorize URL carried (the exchange must repeat it).</param>
public sealed record SlackOAuthCallback(string? Code, string? State, string? Error, string? BrowserBinding, Uri RedirectUri);

/// <summary>The page to answer the redirect with: a status, a whole HTML document (all text in it encoded), and the
/// installation when one was stored.</summary>
public sealed record SlackInstallPage(int StatusCode, string Html, SlackInstallation? Installation);

/// <summary>
/// The OAuth v2 install round trip (bot-protocol.md §5.2.8): <see cref="Begin"/> sends the browser to Slack with a
/// signed, short-lived <c>state</c> bound to a cookie; <see cref="CompleteAsync"/> checks that state, exchanges the code
/// at <c>oauth.v2.access</c> and stores the installation. A state that is missing, forged, expired or from another
/// browser is refused before Slack is called, so nothing is stored for it.
/// </summary>
public sealed partial class SlackInstallFlow(
    OAuthStateSigner states,
    SlackWebApiClient slack,
    SlackInstallationStore installations,
    IOptions<SlackOptions> options,
    ILogger<SlackInstallFlow> logger)
{
    /// <summary>Where an install starts.</summary>
    public const string InstallPath = "/api/slack/install";

    /// <summary>Where Slack sends the browser back (the app's OAuth redirect URL).</summary>
    public const string RedirectPath = "/api/slack/oauth";

    /// <summary>The cookie binding a state to the browser that started the install.</summary>
    public const string BindingCookie = "digest_slack_install";

    /// <summary>Slack's authorize page.</summary>
    public static readonly Uri AuthorizeEndpoint = new("https://slack.com/oauth/v2/authorize");

    /// <summary>The bot scopes asked for: slash commands, posting alerts (in public channels without an invitation
    /// too), reading direct messages and mentions, and hearing that a person left a channel (public, private). They are
    /// the app manifest's (<c>SlackManifestTests</c>).</summary>
    public static readonly IReadOnlyList<string> BotScopes = ["commands", "chat:write", "chat:write.public", "im:history", "app_mentions:read", "channels:read", "groups:read"];

    /// <summary>The authorize URL for a new install, with a new state.</summary>
    /// <exception cref="InvalidOperationException">OAuth is not configured (<c>Slack:ClientId</c>,
    /// <c>Slack:TokenEncryptionKey</c>).</exception>
    public SlackInstallRedirect Begin(Uri redirectUri)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        var clientId = options.Value.ClientId;
        if (string.IsNullOrWhiteSpace(clientId))
        {
            throw new InvalidOperationException("Slack:ClientId is not set: OAuth installs are not configured.");
        }

        var issued = states.Issue();
        var query = string.Join('&',
            "client_id=" + Uri.EscapeDataString(clientId),
            "scope=" + Uri.EscapeDataString(string.Join(',', BotScopes)),
            "redirect_uri=" + Uri.EscapeDataString(redirectUri.AbsoluteUri),
            "state=" + Uri.EscapeDataString(issued.State));
        return new SlackInstallRedirect(new Uri(AuthorizeEndpoint.AbsoluteUri + "?" + query), issued.BrowserBinding, options.Value.OAuthStateLifetime);
    }

    /// <summary>Checks the redirect, exchanges its code and stores the installation; the page says what happened.</summary>
    public async Task<SlackInstallPage> CompleteAsync(SlackOAuthCallback callback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var check = states.Validate(callback.State, callback.BrowserBinding);
        if (check != OAuthStateCheck.Valid)
        {
            LogStateRefused(logger, check);
            return Page(400, "Install link not valid", check switch
            {
                OAuthStateCheck.Expired => "This install link has expired. Start the install again.",
                OAuthStateCheck.WrongBrowser => "This install was started in another browser. Start it again in this one.",
                _ => "This install link was not made by this app, or was changed. Start the install again.",
            });
        }

        if (!string.IsNullOrEmpty(callback.Error) || string.IsNullOrEmpty(callback.Code))
        {
            return Page(400, "Not installed", callback.Error == "access_denied"
                ? "The install was cancelled in Slack; nothing was installed."
                : $"Slack did not install the app ({callback.Error ?? "no code"}). Start the install again.");
        }

        SlackInstallation installation;
        try
        {
            var access = await slack.ExchangeCodeAsync(callback.Code, callback.RedirectUri, cancellationToken).ConfigureAwait(false);
            installation = await installations.SaveAsync(access, cancellationToken).ConfigureAwait(false);
        }
        catch (SlackApiException exception)
        {
            LogExchangeFailed(logger, exception.Error, exception);
            return exception.Kind == SlackErrorKind.Retry
                ? Page(502, "Slack did not answer", "Slack could not be reached to finish the install. Start it again in a minute.")
                : Page(400, "Not installed", $"Slack refused to finish the install ({exception.Error}). Start it again.");
        }
        catch (ArgumentException exception)
        {
            LogExchangeFailed(logger, "not_a_bot_installation", exception);
            return Page(400, "Not installed", "Slack's answer was not an installation of this app's bot. Start the install again.");
        }

        return Page(200, "Installed", $"Digest is installed in {installation.DisplayName}. In Slack, type /digest help to start.") with { Installation = installation };
    }

    private static SlackInstallPage Page(int status, string title, string text)
    {
        var html = $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Digest for Slack: {WebUtility.HtmlEncode(title)}</title></head>
            <body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p></body></html>
            """;
        return new SlackInstallPage(status, html, null);
    }

    [LoggerMessage(EventId = 1861, Level = LogLevel.Warning, Message = "Slack OAuth redirect refused: state {Check}")]
    private static partial void LogStateRefused(ILogger logger, OAuthStateCheck check);

    [LoggerMessage(EventId = 1862, Level = LogLevel.Warning, Message = "Slack OAuth code exchange failed ({Error})")]
    private static partial void LogExchangeFailed(ILogger logger, string error, Exception exception);
}
