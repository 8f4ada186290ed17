using System.Net;
using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The Events API end to end: commands in DMs and mentions answered with chat.postMessage, the Home published
/// when opened, uninstalls and revoked tokens deactivating the workspace, and every event handled once whatever Slack
/// retries, across restarts (the log is in Table Storage).</summary>
public sealed class SlackEventTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Team = SlackTestSettings.Team;

    private LoopbackSlack _slack = null!;
    private Dictionary<string, string?> _configuration = null!;
    private BotTestHost _bot = null!;
    private SlackTestClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SubscriptionStore Store => _bot.Services.GetRequiredService<SubscriptionStore>();

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        _configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        _bot = await BotTestHost.StartAsync(_configuration, Cancel);
        _client = new SlackTestClient(_bot.Client, SlackTestSettings.SigningSecret);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static string NewId(char kind) => kind + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    private static ConversationKey Key(string conversation, string team = Team) => SlackAddress.Key(new SlackConversation(team, null, conversation));

    private async Task<HttpStatusCode> EventAsync(string team, System.Text.Json.Nodes.JsonObject slackEvent, string? eventId = null, int? retry = null, SlackTestClient? client = null)
    {
        using var response = await (client ?? _client).EventAsync(SlackPayloads.Envelope(team, slackEvent.DeepClone().AsObject(), eventId), Cancel, retry);
        return response.StatusCode;
    }

    [Fact]
    public async Task DirectMessage_RunsTheCommandAndAnswersInTheDm()
    {
        var user = NewId('U');
        var dm = NewId('D');

        (await EventAsync(Team, SlackPayloads.DirectMessage(user, dm, "subscribe"))).ShouldBe(HttpStatusCode.OK);
        var posted = (await _slack.WaitForAsync("/api/chat.postMessage", 1, Cancel)).Single();

        posted.Authorization.ShouldBe("Bearer xoxb-loopback-single-workspace");
        ((string)posted.Json["channel"]!).ShouldBe(dm);
        ((string)posted.Json["text"]!).ShouldStartWith("Subscribed");
        (await Store.GetAsync(Key(user), Cancel))!.Subscribed.ShouldBeTrue(); // the person's own subscription
    }

    [Fact]
    public async Task DirectMessage_WithEntities_ReadsTheRuleAsTyped()
    {
        var user = NewId('U');

        await EventAsync(Team, SlackPayloads.DirectMessage(user, NewId('D'), "add agents upvotes&gt;=5"));
        await _slack.WaitForAsync("/api/chat.postMessage", 1, Cancel);

        (await Store.ListRulesAsync(Key(user), Cancel)).Select(rule => rule.Text).ShouldBe(["agents upvotes>=5"]);
    }

    [Fact]
    public async Task AppMention_RunsTheCommandForTheChannel()
    {
        var channel = NewId('C');

        await EventAsync(Team, SlackPayloads.AppMention(NewId('U'), channel, "add diffusion"));
        var posted = (await _slack.WaitForAsync("/api/chat.postMessage", 1, Cancel)).Single();

        ((string)posted.Json["channel"]!).ShouldBe(channel);
        (await Store.ListRulesAsync(Key(channel), Cancel)).Select(rule => rule.Text).ShouldBe(["diffusion"]);
    }

    [Fact]
    public async Task Retry_OfAHandledEvent_IsAcknowledgedAndNotHandledAgainEvenAfterARestart()
    {
        var user = NewId('U');
        var eventId = SlackPayloads.EventId();
        var message = SlackPayloads.DirectMessage(user, NewId('D'), "add agents");

        (await EventAsync(Team, message, eventId)).ShouldBe(HttpStatusCode.OK);
        await _slack.WaitForAsync("/api/chat.postMessage", 1, Cancel);
        // Slack signs each delivery anew: a retry comes with a later timestamp, so its signature is not a replay.
        var later = new FakeTimeProvider(TimeProvider.System.GetUtcNow().AddSeconds(2));
        (await EventAsync(Team, message, eventId, retry: 1, client: new SlackTestClient(_bot.Client, SlackTestSettings.SigningSecret, later))).ShouldBe(HttpStatusCode.OK);

        // Another instance (or this one restarted) over the same storage.
        await using var restarted = await BotTestHost.StartAsync(_configuration, Cancel);
        later.Advance(TimeSpan.FromSeconds(2));
        (await EventAsync(Team, message, eventId, retry: 2, client: new SlackTestClient(restarted.Client, SlackTestSettings.SigningSecret, later))).ShouldBe(HttpStatusCode.OK);

        // An event is handled within its request (well inside Slack's 3 s here), so nothing more can still be on its way.
        _slack.PostedMessages.Count.ShouldBe(1);
        (await Store.ListRulesAsync(Key(user), Cancel)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task BotMessage_IsIgnored()
    {
        var dm = NewId('D');

        (await EventAsync(Team, SlackPayloads.BotMessage(dm, "subscribe"))).ShouldBe(HttpStatusCode.OK);

        _slack.PostedMessages.ShouldBeEmpty();
        (await Store.GetAsync(Key(dm), Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task OtherWorkspace_WithoutAToken_GetsNoAnswerWithThisWorkspacesToken()
    {
        var user = NewId('U');

        (await EventAsync("T0STRANGER", SlackPayloads.DirectMessage(user, NewId('D'), "subscribe"))).ShouldBe(HttpStatusCode.OK);

        _slack.PostedMessages.ShouldBeEmpty();
        (await Store.GetAsync(Key(user, "T0STRANGER"), Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task AppHomeOpened_PublishesTheHomeOfThatPerson()
    {
        var user = NewId('U');
        await EventAsync(Team, SlackPayloads.DirectMessage(user, NewId('D'), "add agents"));

        await EventAsync(Team, SlackPayloads.AppHomeOpened(user, NewId('D')));
        var published = (await _slack.WaitForAsync("/api/views.publish", 1, Cancel)).Single();

        ((string)published.Json["user_id"]!).ShouldBe(user);
        ((string)published.Json["view"]!["type"]!).ShouldBe("home");
        published.Json["view"]!.ToJsonString().ShouldContain("1. agents");
        published.Authorization.ShouldBe("Bearer xoxb-loopback-single-workspace");
    }

    [Theory]
    [InlineData("app_uninstalled")]
    [InlineData("tokens_revoked")]
    public async Task Uninstall_DeactivatesTheWorkspacesSubscriptionsKeepsTheirDataAndForgetsTheToken(string kind)
    {
        var channel = NewId('C');
        var other = NewId('C');
        await _client.CommandAsync(Team, channel, "U0ALICE", "subscribe", null, Cancel);
        await _client.CommandAsync(Team, channel, "U0ALICE", "add agents", null, Cancel);
        await _client.CommandAsync("T0ELSEWHERE", other, "U0BOB", "subscribe", null, Cancel);

        var leaving = kind == "app_uninstalled" ? SlackPayloads.AppUninstalled() : SlackPayloads.TokensRevoked(bot: true);
        (await EventAsync(Team, leaving)).ShouldBe(HttpStatusCode.OK);

        var subscription = await Store.GetAsync(Key(channel), Cancel);
        subscription!.Installed.ShouldBeFalse();
        subscription.Subscribed.ShouldBeTrue();
        (await Store.ListRulesAsync(Key(channel), Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);
        (await Store.GetAsync(Key(other, "T0ELSEWHERE"), Cancel))!.Installed.ShouldBeTrue();
        (await _bot.Services.GetRequiredService<ISlackBotTokens>().GetAsync(Team, null, Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task TokensRevoked_UserTokensOnly_ChangesNothing()
    {
        var channel = NewId('C');
        await _client.CommandAsync(Team, channel, "U0ALICE", "subscribe", null, Cancel);

        (await EventAsync(Team, SlackPayloads.TokensRevoked(bot: false))).ShouldBe(HttpStatusCode.OK);

        (await Store.GetAsync(Key(channel), Cancel))!.Installed.ShouldBeTrue();
        (await _bot.Services.GetRequiredService<ISlackBotTokens>().GetAsync(Team, null, Cancel)).ShouldNotBeNull();
    }
}
