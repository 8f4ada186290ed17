using System.Net;
using Azure.Data.Tables;
using Digest.Platforms.Slack;
using Digest.Storage;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary><c>GET /api/slack/install</c> and <c>/api/slack/oauth</c> on the real bot host, Azurite, and a loopback
/// <c>oauth.v2.access</c>; the browser is played by an HTTP client that does not follow redirects.</summary>
public sealed class SlackInstallEndpointTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private LoopbackSlack _slack = null!;
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private string _prefix = "";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        _identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task Install_RedirectsToSlackWithClientIdScopesRedirectUriAndAStateBoundToACookie()
    {
        await using var bot = await StartBotAsync();
        using var browser = Browser(bot);

        var (authorize, _, setCookie) = await StartInstallAsync(browser);

        authorize.GetLeftPart(UriPartial.Path).ShouldBe("https://slack.com/oauth/v2/authorize");
        var query = QueryHelpers.ParseQuery(authorize.Query);
        query["client_id"].ToString().ShouldBe("1234567890.1234567890");
        query["scope"].ToString().ShouldBe("commands,chat:write,chat:write.public,im:history,app_mentions:read,channels:read,groups:read");
        query["redirect_uri"].ToString().ShouldBe(new Uri(bot.BaseAddress, "api/slack/oauth").AbsoluteUri);
        query["state"].ToString().ShouldStartWith("v1.");
        setCookie.ShouldStartWith("digest_slack_install=");
        setCookie.ToLowerInvariant().ShouldContain("path=/api/slack/oauth");
        setCookie.ToLowerInvariant().ShouldContain("secure");
        setCookie.ToLowerInvariant().ShouldContain("samesite=lax");
        setCookie.ToLowerInvariant().ShouldContain("httponly");
    }

    [Fact]
    public async Task OAuth_TwoWorkspaces_EachInstalledWithItsOwnTokenAndNoTokenReadableInTheTable()
    {
        await using var bot = await StartBotAsync();
        using var browser = Browser(bot);

        foreach (var code in new[] { "alpha", "beta" })
        {
            var (authorize, cookie, _) = await StartInstallAsync(browser);
            var state = QueryHelpers.ParseQuery(authorize.Query)["state"].ToString();

            using var response = await CallbackAsync(browser, $"code={code}&state={Uri.EscapeDataString(state)}", cookie);

            var page = await response.Content.ReadAsStringAsync(Cancel);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, page);
            page.ShouldContain($"Digest is installed in Team T{code.ToUpperInvariant()}.");
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
            response.Headers.CacheControl!.NoStore.ShouldBeTrue();
            response.Headers.GetValues("Content-Security-Policy").ShouldBe(["default-src 'none'"]);
            var exchange = _slack.All.Last(request => request.Path == "/api/oauth.v2.access").Form;
            exchange["code"].ShouldBe(code);
            exchange["redirect_uri"].ShouldBe(QueryHelpers.ParseQuery(authorize.Query)["redirect_uri"].ToString());
            exchange["client_secret"].ShouldBe("loopback-client-secret");
        }

        var tokens = bot.Services.GetRequiredService<ISlackBotTokens>();
        (await tokens.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxb-alpha");
        (await tokens.GetAsync("TBETA", null, Cancel)).ShouldBe("xoxb-beta");
        var rows = await RowsAsync();
        rows.Select(row => row.PartitionKey).Order().ShouldBe(["team-TALPHA", "team-TBETA"]);
        var stored = string.Join("\n", rows.SelectMany(row => row.Select(property => property.Value?.ToString())));
        stored.ShouldNotContain("xoxb-");
        stored.ShouldNotContain("xoxe");
    }

    [Fact]
    public async Task OAuth_StateSignedWithAnotherKey_Refused400AndNothingStored()
    {
        await using var bot = await StartBotAsync();
        using var browser = Browser(bot);
        await StartInstallAsync(browser);
        var forger = new OAuthStateSigner(Options.Create(new SlackOptions { TokenEncryptionKey = SlackTestServices.NewKey() }), TimeProvider.System);
        var forged = forger.Issue();

        using var response = await CallbackAsync(browser, $"code=alpha&state={Uri.EscapeDataString(forged.State)}", "digest_slack_install=" + forged.BrowserBinding);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldContain("This install link was not made by this app, or was changed.");
        _slack.Count("oauth.v2.access").ShouldBe(0);
        (await RowsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task OAuth_StateChangedInTransit_Refused400AndNothingStored()
    {
        await using var bot = await StartBotAsync();
        using var browser = Browser(bot);
        var (authorize, cookie, _) = await StartInstallAsync(browser);
        var state = QueryHelpers.ParseQuery(authorize.Query)["state"].ToString();
        var changed = state[..^1] + (state[^1] == 'A' ? 'B' : 'A');

        using var response = await CallbackAsync(browser, $"code=alpha&state={Uri.EscapeDataString(changed)}", cookie);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        _slack.Count("oauth.v2.access").ShouldBe(0);
        (await RowsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task OAuth_StateOlderThanItsLifetime_Refused400AndNothingStored()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 9, 0, 0, TimeSpan.Zero));
        await using var bot = await StartBotAsync(time);
        using var browser = Browser(bot);
        var (authorize, cookie, _) = await StartInstallAsync(browser);
        var state = QueryHelpers.ParseQuery(authorize.Query)["state"].ToString();
        time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        using var response = await CallbackAsync(browser, $"code=alpha&state={Uri.EscapeDataString(state)}", cookie);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldContain("This install link has expired.");
        _slack.Count("oauth.v2.access").ShouldBe(0);
        (await RowsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task OAuth_StateBroughtByABrowserWithoutItsCookie_Refused400()
    {
        await using var bot = await StartBotAsync();
        using var browser = Browser(bot);
        var (authorize, _, _) = await StartInstallAsync(browser);
        var state = QueryHelpers.ParseQuery(authorize.Query)["state"].ToString();

        using var response = await CallbackAsync(browser, $"code=alpha&state={Uri.EscapeDataString(state)}", cookie: null);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldContain("started in another browser");
        _slack.Count("oauth.v2.access").ShouldBe(0);
    }

    [Fact]
    public async Task OAuth_CodeSlackRefuses_Refused400WithItsErrorAndNothingStored()
    {
        await using var bot = await StartBotAsync();
        using var browser = Browser(bot);
        var (authorize, cookie, _) = await StartInstallAsync(browser);
        var state = QueryHelpers.ParseQuery(authorize.Query)["state"].ToString();
        _slack.PlanError("oauth.v2.access", "invalid_code");

        using var response = await CallbackAsync(browser, $"code=alpha&state={Uri.EscapeDataString(state)}", cookie);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldContain("Slack refused to finish the install (invalid_code).");
        (await RowsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Install_SlackNotConfigured_NotFound()
    {
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
        using var browser = Browser(bot);

        using var response = await browser.GetAsync("api/slack/install", Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task StartAsync_OAuthWithoutItsEncryptionKey_FailsAtStartUpNamingTheSetting()
    {
        var configuration = BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString);
        foreach (var (key, value) in SlackTestServices.OAuthSettings(("Slack:TokenEncryptionKey", null)))
        {
            configuration[key] = value;
        }

        var failure = await Should.ThrowAsync<OptionsValidationException>(async () => await BotTestHost.StartAsync(configuration, Cancel));

        failure.Message.ShouldContain("missing Slack:TokenEncryptionKey");
    }

    private async Task<BotTestHost> StartBotAsync(TimeProvider? time = null)
    {
        var configuration = BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString);
        foreach (var (key, value) in SlackTestServices.OAuthSettings(("Slack:ApiBaseUrl", _slack.ApiBaseUrl.AbsoluteUri), ("Slack:RetryBaseDelay", "00:00:00.010")))
        {
            configuration[key] = value;
        }

        _prefix = configuration["Storage:NamePrefix"]!;
        return await BotTestHost.StartAsync(configuration, Cancel, configureServices: services =>
        {
            if (time is not null)
            {
                services.AddSingleton(time);
            }
        });
    }

    // A browser that shows redirects instead of following them (the first one leads to slack.com) and keeps no cookies.
    private static HttpClient Browser(BotTestHost bot) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = bot.BaseAddress };

    private static async Task<(Uri Authorize, string Cookie, string SetCookie)> StartInstallAsync(HttpClient browser)
    {
        using var response = await browser.GetAsync("api/slack/install", Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        var setCookie = response.Headers.GetValues("Set-Cookie").ShouldHaveSingleItem();
        return (response.Headers.Location!, setCookie.Split(';')[0], setCookie);
    }

    private static async Task<HttpResponseMessage> CallbackAsync(HttpClient browser, string query, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/slack/oauth?" + query);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        return await browser.SendAsync(request, Cancel);
    }

    private async Task<List<TableEntity>> RowsAsync() =>
        await azurite.TableService.GetTableClient(_prefix + StorageNames.SlackInstallations).QueryAsync<TableEntity>(cancellationToken: Cancel).ToListAsync(Cancel);
}
