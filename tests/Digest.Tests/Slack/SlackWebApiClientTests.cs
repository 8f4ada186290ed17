using System.Text.Json.Nodes;
using System.Diagnostics.Metrics;
using Digest.Platforms.Slack;
using Digest.Telemetry;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The Web API client, registered as a host registers it, against a loopback Slack.</summary>
public sealed class SlackWebApiClientTests : IAsyncLifetime
{
    private const string Token = "xoxb-team-a-token";
    private LoopbackSlack _slack = null!;
    private ServiceProvider _services = null!;
    private SlackWebApiClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        (_services, _client) = Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private (ServiceProvider Services, SlackWebApiClient Client) Start(TimeProvider? time = null, params (string, string?)[] overrides)
    {
        var services = SlackTestServices.Create(SlackTestServices.OAuthSettings(
            [("Slack:ApiBaseUrl", _slack.ApiBaseUrl.AbsoluteUri), ("Slack:AllowedResponseUrls:0", _slack.ResponseUrlPrefix), ("Slack:RetryBaseDelay", "00:00:00.010"), .. overrides]), time);
        return (services, services.GetRequiredService<SlackWebApiClient>());
    }

    private static SlackMessage Message(string title = "Agents") =>
        new BlockKitRenderer().Digest("New papers", [new SlackPaperItem(BlockKitRendererTests.NewPaper("2408.00001", title, "A. Author"), ["agents"])])[0];

    [Fact]
    public async Task PostMessage_SendsBlockKitJsonWithTheTeamsBearerToken()
    {
        var posted = await _client.PostMessageAsync(Token, "T0001", "C0123456789", Message(BlockKitRendererTests.HostileTitle), Cancel);

        var request = await _slack.NextAsync(Cancel);
        request.Path.ShouldBe("/api/chat.postMessage");
        request.Authorization.ShouldBe("Bearer " + Token);
        request.ContentType.ShouldBe("application/json; charset=utf-8");
        var json = request.Json;
        ((string?)json["channel"]).ShouldBe("C0123456789");
        ((bool?)json["unfurl_links"]).ShouldBe(false);
        ((bool?)json["unfurl_media"]).ShouldBe(false);
        ((bool?)json["mrkdwn"]).ShouldBe(false);
        json["blocks"]!.AsArray().Count.ShouldBe(3);

        // The bytes on the wire: Slack's entities, with JSON's own escaping of them on top.
        request.Body.ShouldContain("\"text\":\"\\u0026lt;!channel\\u0026gt; \\u0026lt;https://evil|x\\u0026gt; *bold* _it_ ~strike~ \\u0060code\\u0060 @here \\u0026amp; \\u0026lt;@U024BE7LH\\u0026gt;\",\"emoji\":false");
        posted.Channel.ShouldBe("C0123456789");
        posted.Ts.ShouldStartWith("1503435956.");
    }

    [Fact]
    public async Task PostMessage_AnsweredAndRefused_RecordsEachCallsLatencyBySlackMethodStatusAndError()
    {
        using var latency = new MetricCollector<double>(_services.GetService<IMeterFactory>(), DigestTelemetry.Name, "digest.platform.request.duration");
        _slack.PlanError("chat.postMessage", "channel_not_found");

        await Should.ThrowAsync<SlackApiException>(() => _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel));
        await _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel);

        var calls = latency.GetMeasurementSnapshot();
        calls.Count.ShouldBe(2);
        calls.ShouldAllBe(call => Equals(call.Tags[DigestMetrics.PlatformTag], TelemetryPlatforms.Slack) && Equals(call.Tags[DigestMetrics.OperationTag], "chat.postMessage") && call.Value >= 0);
        calls.Count(call => Equals(call.Tags[DigestMetrics.StatusCodeTag], 200) && !call.Tags.ContainsKey(DigestMetrics.ErrorTypeTag)).ShouldBe(1);
        calls.Count(call => call.Tags.TryGetValue(DigestMetrics.ErrorTypeTag, out var error) && Equals(error, "channel_not_found")).ShouldBe(1);
    }

    [Theory]
    [InlineData("channel_not_found", SlackErrorKind.DeactivateChannel)]
    [InlineData("not_in_channel", SlackErrorKind.DeactivateChannel)]
    [InlineData("is_archived", SlackErrorKind.DeactivateChannel)]
    [InlineData("token_revoked", SlackErrorKind.DeactivateInstallation)]
    [InlineData("account_inactive", SlackErrorKind.DeactivateInstallation)]
    [InlineData("invalid_auth", SlackErrorKind.Unauthorized)]
    [InlineData("token_expired", SlackErrorKind.RefreshToken)]
    [InlineData("ratelimited", SlackErrorKind.Retry)]
    [InlineData("internal_error", SlackErrorKind.Retry)]
    [InlineData("fatal_error", SlackErrorKind.Retry)]
    [InlineData("service_unavailable", SlackErrorKind.Retry)]
    [InlineData("request_timeout", SlackErrorKind.Retry)]
    [InlineData("invalid_blocks", SlackErrorKind.Fatal)]
    [InlineData("msg_blocks_too_long", SlackErrorKind.Fatal)]
    [InlineData("no_permission", SlackErrorKind.Fatal)]
    [InlineData("missing_scope", SlackErrorKind.Fatal)]
    [InlineData("something_new", SlackErrorKind.Fatal)]
    public async Task PostMessage_OkFalse_IsClassified(string error, SlackErrorKind kind)
    {
        _slack.PlanError("chat.postMessage", error);

        var failure = await Should.ThrowAsync<SlackApiException>(() => _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel));

        failure.Kind.ShouldBe(kind);
        failure.Error.ShouldBe(error);
        failure.Method.ShouldBe("chat.postMessage");
        failure.Message.ShouldNotContain(Token);
        _slack.Count("chat.postMessage").ShouldBe(1); // an ok:false is an answer, not retried by the pipeline
    }

    [Fact]
    public async Task PostMessage_429WithRetryAfter_WaitsAndRetries()
    {
        _slack.Plan("chat.postMessage", 429, """{"ok":false,"error":"ratelimited"}""", retryAfter: "1");

        var posted = await _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel);

        posted.Ts.ShouldNotBeNullOrEmpty();
        _slack.Count("chat.postMessage").ShouldBe(2);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task PostMessage_ServerError_Retried(int status)
    {
        _slack.Plan("chat.postMessage", status);
        _slack.Plan("chat.postMessage", status);

        var posted = await _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel);

        posted.Ts.ShouldNotBeNullOrEmpty();
        _slack.Count("chat.postMessage").ShouldBe(3);
    }

    [Fact]
    public async Task PostMessage_ServerErrorBeyondTheRetries_IsRetryLater()
    {
        for (var i = 0; i < 4; i++)
        {
            _slack.Plan("chat.postMessage", 502);
        }

        var failure = await Should.ThrowAsync<SlackApiException>(() => _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel));

        failure.Kind.ShouldBe(SlackErrorKind.Retry);
        failure.Error.ShouldBe("http_502");
        _slack.Count("chat.postMessage").ShouldBe(4);
    }

    [Fact]
    public async Task PostMessage_RetryAfterLongerThanWeWait_FailsAtOnceWithTheWait()
    {
        _slack.Plan("chat.postMessage", 429, """{"ok":false,"error":"ratelimited"}""", retryAfter: "120");

        var failure = await Should.ThrowAsync<SlackApiException>(() => _client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel));

        failure.Kind.ShouldBe(SlackErrorKind.Retry);
        failure.Error.ShouldBe("ratelimited");
        failure.RetryAfter.ShouldBe(TimeSpan.FromSeconds(120));
        _slack.Count("chat.postMessage").ShouldBe(1);
    }

    [Fact]
    public async Task PostMessage_BurstToOneChannel_GoesOutOnePerInterval_WhileOtherChannelsGoOn()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 12, 0, 0, TimeSpan.Zero));
        var (services, client) = Start(time);
        await using var _ = services;

        var burst = Enumerable.Range(1, 3).Select(i => client.PostMessageAsync(Token, "T0001", "C-BUSY", Message($"Paper {i}"), Cancel)).ToList();
        var other = client.PostMessageAsync(Token, "T0001", "C-OTHER", Message("Elsewhere"), Cancel);

        var first = new[] { await _slack.NextAsync(Cancel), await _slack.NextAsync(Cancel) };
        first.Select(request => (string?)request.Json["channel"]).Order().ShouldBe(["C-BUSY", "C-OTHER"]);
        await other;
        (await _slack.StaysQuietAsync(TimeSpan.FromMilliseconds(300), Cancel)).ShouldBeTrue();

        time.Advance(TimeSpan.FromSeconds(1));
        ((string?)(await _slack.NextAsync(Cancel)).Json["channel"]).ShouldBe("C-BUSY");
        (await _slack.StaysQuietAsync(TimeSpan.FromMilliseconds(300), Cancel)).ShouldBeTrue();

        time.Advance(TimeSpan.FromSeconds(1));
        ((string?)(await _slack.NextAsync(Cancel)).Json["channel"]).ShouldBe("C-BUSY");
        await Task.WhenAll(burst);
        _slack.Count("chat.postMessage").ShouldBe(4);
    }

    [Fact]
    public async Task PostMessage_MoreWaitingThanTheChannelQueueHolds_RefusedAsRetry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 12, 0, 0, TimeSpan.Zero));
        var (services, client) = Start(time, ("Slack:ChannelQueueLimit", "1"));
        await using var _ = services;

        var sent = client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel);
        var waiting = client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel);
        var refused = await Should.ThrowAsync<SlackApiException>(() => client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel));

        refused.Kind.ShouldBe(SlackErrorKind.Retry);
        refused.Error.ShouldBe("channel_queue_full");
        await sent;
        time.Advance(TimeSpan.FromSeconds(1));
        await waiting;
    }

    [Fact]
    public async Task PostMessage_MoreBusyChannelsThanTracked_RefusedAsRetry_UntilOneIsIdle()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 8, 1, 12, 0, 0, TimeSpan.Zero));
        var (services, client) = Start(time, ("Slack:MaxTrackedChannels", "2"));
        await using var _ = services;
        await client.PostMessageAsync(Token, "T0001", "C1", Message(), Cancel);
        await client.PostMessageAsync(Token, "T0001", "C2", Message(), Cancel);

        var refused = await Should.ThrowAsync<SlackApiException>(() => client.PostMessageAsync(Token, "T0001", "C3", Message(), Cancel));

        refused.Kind.ShouldBe(SlackErrorKind.Retry);
        refused.Error.ShouldBe("channel_limiter_full");
        time.Advance(TimeSpan.FromSeconds(1));
        await client.PostMessageAsync(Token, "T0001", "C3", Message(), Cancel);
        services.GetRequiredService<SlackChannelRateLimiter>().TrackedChannels.ShouldBeLessThanOrEqualTo(2);
    }

    [Fact]
    public async Task Views_PublishAndOpen_SendTheViewForTheUserAndTrigger()
    {
        var view = new JsonObject { ["type"] = "home", ["blocks"] = new JsonArray() };

        var home = await _client.PublishHomeAsync(Token, "U0001", view, hash: null, Cancel);
        var modal = await _client.OpenViewAsync(Token, "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
            new JsonObject { ["type"] = "modal", ["title"] = BlockKitRenderer.PlainText("Add a rule"), ["blocks"] = new JsonArray() }, Cancel);

        var publish = await _slack.NextAsync(Cancel);
        publish.Path.ShouldBe("/api/views.publish");
        publish.Authorization.ShouldBe("Bearer " + Token);
        ((string?)publish.Json["user_id"]).ShouldBe("U0001");
        ((string?)publish.Json["view"]!["type"]).ShouldBe("home");
        publish.Json.ContainsKey("hash").ShouldBeFalse();
        var open = await _slack.NextAsync(Cancel);
        open.Path.ShouldBe("/api/views.open");
        ((string?)open.Json["trigger_id"]).ShouldBe("398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
        home.Id.ShouldStartWith("V");
        modal.Hash.ShouldNotBeNull();
    }

    [Fact]
    public async Task AuthTest_SaysWhoTheTokenIs()
    {
        var identity = await _client.AuthTestAsync(Token, Cancel);

        identity.TeamId.ShouldBe("T0LOOPBACK");
        identity.BotId.ShouldBe("B0BOT");
        (await _slack.NextAsync(Cancel)).Authorization.ShouldBe("Bearer " + Token);
    }

    [Fact]
    public async Task ExchangeCode_PostsClientCredentialsAndCode_AndNeverPrintsTheTokens()
    {
        var access = await _client.ExchangeCodeAsync("abc123", new Uri("https://digest.example/api/slack/oauth"), Cancel);

        var request = await _slack.NextAsync(Cancel);
        request.Path.ShouldBe("/api/oauth.v2.access");
        request.Authorization.ShouldBeNull();
        request.ContentType.ShouldStartWith("application/x-www-form-urlencoded");
        request.Form.ShouldBe(new Dictionary<string, string>
        {
            ["client_id"] = "1234567890.1234567890",
            ["client_secret"] = "loopback-client-secret",
            ["code"] = "abc123",
            ["redirect_uri"] = "https://digest.example/api/slack/oauth",
        }, ignoreOrder: true);
        access.AccessToken.ShouldBe("xoxb-abc123");
        access.RefreshToken.ShouldBe("xoxe-1-abc123");
        access.ExpiresIn.ShouldBe(43200);
        access.InstallationId.ShouldBe("TABC123");
        access.ToString().ShouldNotContain("xox");
        access.ToString().ShouldContain("TABC123");
    }

    [Fact]
    public async Task ExchangeCode_EnterpriseInstall_IsKeyedByTheOrg()
    {
        var access = await _client.ExchangeCodeAsync("grid-1", null, Cancel);

        access.IsEnterpriseInstall.ShouldBeTrue();
        access.InstallationId.ShouldBe("E0GRID");
        (await _slack.NextAsync(Cancel)).Form.ContainsKey("redirect_uri").ShouldBeFalse();
    }

    [Fact]
    public async Task RefreshToken_PostsTheRefreshGrant_AndGetsTheNextPair()
    {
        var access = await _client.RefreshTokenAsync("xoxe-1-abc", Cancel);

        var form = (await _slack.NextAsync(Cancel)).Form;
        form["grant_type"].ShouldBe("refresh_token");
        form["refresh_token"].ShouldBe("xoxe-1-abc");
        form["client_id"].ShouldBe("1234567890.1234567890");
        access.AccessToken.ShouldBe("xoxe.xoxb-refreshed-xoxe-1-abc");
        access.RefreshToken.ShouldBe("xoxe-1-next-xoxe-1-abc");
    }

    [Fact]
    public async Task ExchangeCode_InvalidCode_IsFatal()
    {
        _slack.PlanError("oauth.v2.access", "invalid_code");

        var failure = await Should.ThrowAsync<SlackApiException>(() => _client.ExchangeCodeAsync("used-twice", null, Cancel));

        failure.Kind.ShouldBe(SlackErrorKind.Fatal);
        failure.Error.ShouldBe("invalid_code");
    }

    [Fact]
    public async Task PostToResponseUrl_AllowListedUrl_PostsTheEphemeralAnswerWithoutToken()
    {
        var url = _slack.NewResponseUrl();

        await _client.PostToResponseUrlAsync(url, Message(), inChannel: false, replaceOriginal: false, Cancel);

        var request = await _slack.NextAsync(Cancel);
        request.Path.ShouldStartWith("/commands/T1DC2JH3J/");
        request.Authorization.ShouldBeNull();
        ((string?)request.Json["response_type"]).ShouldBe("ephemeral");
        request.Json.ContainsKey("replace_original").ShouldBeFalse();
        request.Json["blocks"]!.AsArray().Count.ShouldBe(3);
    }

    [Fact]
    public async Task PostToResponseUrl_ExpiredUrl_IsFatal()
    {
        _slack.Plan("commands", 404, "expired_url");

        var failure = await Should.ThrowAsync<SlackApiException>(() => _client.PostToResponseUrlAsync(_slack.NewResponseUrl(), Message(), false, false, Cancel));

        failure.Kind.ShouldBe(SlackErrorKind.Fatal);
        failure.Error.ShouldBe("expired_url");
    }

    [Theory]
    [InlineData("https://hooks.slack.com.evil.example/commands/T1/1/x")]
    [InlineData("http://hooks.slack.com/commands/T1/1/x")]
    [InlineData("https://user@hooks.slack.com/commands/T1/1/x")]
    [InlineData("https://hooks.slack.com:8443/commands/T1/1/x")]
    [InlineData("https://evil.example/commands/T1/1/x")]
    [InlineData("/commands/T1/1/x")]
    [InlineData("not a url")]
    public async Task PostToResponseUrl_NotSlacksUrl_RefusedAndNothingSent(string url)
    {
        _client.IsAllowedResponseUrl(url).ShouldBeFalse();

        var failure = await Should.ThrowAsync<SlackApiException>(() => _client.PostToResponseUrlAsync(url, Message(), false, false, Cancel));

        failure.Kind.ShouldBe(SlackErrorKind.Fatal);
        failure.Error.ShouldBe("response_url_refused");
        _slack.All.ShouldBeEmpty();
    }

    [Fact]
    public void IsAllowedResponseUrl_SlacksHooksHostOrAConfiguredPrefix_Allowed()
    {
        _client.IsAllowedResponseUrl("https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN").ShouldBeTrue();
        _client.IsAllowedResponseUrl("https://HOOKS.slack.com/actions/T1/2/3").ShouldBeTrue();
        _client.IsAllowedResponseUrl(_slack.NewResponseUrl()).ShouldBeTrue();
        _client.IsAllowedResponseUrl(_slack.ResponseUrlPrefix.Replace("/commands/", "/other/", StringComparison.Ordinal)).ShouldBeFalse();
    }
}
