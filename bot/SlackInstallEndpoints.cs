using System.Text;
using Digest.Platforms.Slack;
using Digest.Platforms.Slack.Installations;
using Microsoft.Extensions.Options;

namespace Digest.Bot;

/// <summary><c>GET /api/slack/install</c> and <c>GET /api/slack/oauth</c>: the Slack OAuth v2 install round trip
/// (<see cref="SlackInstallFlow"/>), mapped only when Slack is enabled with OAuth (<c>Slack:ClientId</c>).</summary>
public static class SlackInstallEndpoints
{
    /// <summary>Maps the two routes; reading the Slack options here validates them at start-up.</summary>
    public static WebApplication MapDigestSlackInstall(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<SlackOptions>>().Value;
        if (options.Enabled && options.UsesOAuth)
        {
            app.MapGet(SlackInstallFlow.InstallPath, Install);
            app.MapGet(SlackInstallFlow.RedirectPath, CompleteAsync);
        }

        return app;
    }

    private static IResult Install(HttpContext context, SlackInstallFlow flow)
    {
        var redirect = flow.Begin(RedirectUri(context.Request));
        context.Response.Cookies.Append(SlackInstallFlow.BindingCookie, redirect.BrowserBinding, BindingCookie(redirect.CookieLifetime));
        context.Response.Headers.CacheControl = "no-store";
        return Results.Redirect(redirect.AuthorizeUrl.AbsoluteUri);
    }

    private static async Task<IResult> CompleteAsync(HttpContext context, SlackInstallFlow flow)
    {
        var query = context.Request.Query;
        var page = await flow.CompleteAsync(
            new SlackOAuthCallback(query["code"], query["state"], query["error"], context.Request.Cookies[SlackInstallFlow.BindingCookie], RedirectUri(context.Request)),
            context.RequestAborted);
        context.Response.Cookies.Delete(SlackInstallFlow.BindingCookie, BindingCookie(null));
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy = "default-src 'none'";
        headers["Referrer-Policy"] = "no-referrer"; // the URL holds the code and the state
        headers.XContentTypeOptions = "nosniff";
        return Results.Content(page.Html, "text/html; charset=utf-8", Encoding.UTF8, page.StatusCode);
    }

    // Sent back only to the redirect route, only over https, and on the top-level GET that comes back from slack.com.
    private static CookieOptions BindingCookie(TimeSpan? lifetime) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Lax,
        Path = SlackInstallFlow.RedirectPath,
        MaxAge = lifetime,
        IsEssential = true,
    };

    // Slack accepts only redirect URLs configured in the app, so a forged Host header cannot send a code elsewhere.
    private static Uri RedirectUri(HttpRequest request) =>
        new($"{request.Scheme}://{request.Host}{request.PathBase}{SlackInstallFlow.RedirectPath}");
}
