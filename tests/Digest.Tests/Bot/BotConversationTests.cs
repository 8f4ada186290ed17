using System.Net;
using System.Text.Json.Nodes;
using Digest.Platforms.Teams.Cards;
using Digest.Delivery;
using Digest.Papers;
using Digest.Rules;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>Every command end to end: signed activities into /api/messages, answers recorded by the loopback
/// connector (path, bearer token, activity JSON), state in Azurite, papers seeded from a real API answer.</summary>
public sealed class BotConversationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Fixture = "api_daily_papers_2026-06-12_sotawhat.json";

    private readonly string _appId = Guid.NewGuid().ToString();
    private readonly string _tenantId = Guid.NewGuid().ToString();
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private BotTestHost _bot = null!;
    private IReadOnlyList<Paper> _papers = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SubscriptionStore Store => _bot.Services.GetRequiredService<SubscriptionStore>();

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(_appId, _tenantId, Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
        var now = TimeProvider.System.GetUtcNow();
        _papers = await PaperSeeder.SeedAsync(_bot.Services.GetRequiredService<DigestStorage>(), TestData.HfPapers(Fixture),
            DateOnly.FromDateTime(now.UtcDateTime), now.AddHours(-1), Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    private async Task<HttpResponseMessage> PostAsync(JsonObject activity) =>
        await _bot.PostAsync(activity.ToJsonString(), _identity.ChannelToken((string)activity["serviceUrl"]!), Cancel);

    private async Task<ConnectorRequest> SayAsync(string conversationId, string text, string tenantId = TestActivities.TenantId)
    {
        using var response = await PostAsync(TestActivities.Message(_appId, _connector.ServiceUrl, conversationId, text, tenantId: tenantId));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await _connector.NextAsync(Cancel);
    }

    private async Task<ConnectorRequest> MentionAsync(string channelConversationId, string text)
    {
        using var response = await PostAsync(TestActivities.ChannelMention(_appId, _connector.ServiceUrl, channelConversationId, "Paper Alerts", text));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await _connector.NextAsync(Cancel);
    }

    private static Dictionary<string, string> Facts(ConnectorRequest status) =>
        status.Card!["body"]![1]!["facts"]!.AsArray().ToDictionary(fact => (string)fact!["title"]!, fact => (string)fact!["value"]!);

    private List<Paper> Matching(string rule) => [.. _papers.Where(paper => RulePreview.Run(rule, [paper]).Matches.Count > 0)];

    private static ConversationKey Key(string conversationId, string tenantId = TestActivities.TenantId) => ConversationKey.Create("msteams", tenantId, conversationId);

    private static string AllText(ConnectorRequest request) => request.Card?.ToJsonString() ?? request.Text ?? "";

    [Fact]
    public async Task Install_ConversationUpdateThenInstallationUpdate_StoresReferenceAndGreetsOnce()
    {
        var conversation = TestActivities.PersonalConversationId();

        using var added = await PostAsync(TestActivities.BotAdded(_appId, _connector.ServiceUrl, conversation));
        var greeting = await _connector.NextAsync(Cancel);
        using var installed = await PostAsync(TestActivities.Installation(_appId, _connector.ServiceUrl, conversation, "add"));

        added.StatusCode.ShouldBe(HttpStatusCode.OK);
        installed.StatusCode.ShouldBe(HttpStatusCode.OK);
        greeting.Method.ShouldBe("POST");
        greeting.RawTarget.ShouldBe($"/amer/v3/conversations/{Uri.EscapeDataString(conversation)}/activities");
        greeting.Authorization.ShouldBe("Bearer connector-token-1");
        greeting.Card!["version"]!.GetValue<string>().ShouldBe("1.5");
        AllText(greeting).ShouldContain("Hello!");
        greeting.Json["serviceUrl"].ShouldBeNull(); // fields a bot must not send
        greeting.Json["id"].ShouldBeNull();
        (await _connector.StaysQuietAsync(TimeSpan.FromMilliseconds(500), Cancel)).ShouldBeTrue("greeted twice");

        var subscription = await Store.GetAsync(Key(conversation), Cancel);
        subscription.ShouldNotBeNull();
        subscription.Installed.ShouldBeTrue();
        subscription.Subscribed.ShouldBeFalse();
        subscription.TeamsReference().ServiceUrl.ShouldBe(_connector.ServiceUrl);
        subscription.TeamsReference().Conversation.Id.ShouldBe(conversation);
        subscription.TeamsReference().Conversation.TenantId.ShouldBe(TestActivities.TenantId);
        subscription.TeamsReference().Bot!.Id.ShouldBe("28:" + _appId);
        subscription.TeamsReference().User!.AadObjectId.ShouldBe("7faf8ab2-3d56-4244-b585-20c8a42ed2b8");
    }

    [Fact]
    public async Task Removal_ConversationUpdateAndInstallationUpdate_DeactivateAndKeepRules()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "subscribe");
        await SayAsync(conversation, "add agents");

        using var removed = await PostAsync(TestActivities.BotRemoved(_appId, _connector.ServiceUrl, conversation));
        removed.StatusCode.ShouldBe(HttpStatusCode.OK);
        await WaitUntilAsync(async () => (await Store.GetAsync(Key(conversation), Cancel))!.Installed == false);

        var subscription = await Store.GetAsync(Key(conversation), Cancel);
        subscription!.Subscribed.ShouldBeTrue();
        subscription.Active.ShouldBeFalse();
        (await Store.ListRulesAsync(Key(conversation), Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);

        // Reinstalled: active again with the same rules, greeted again.
        using var again = await PostAsync(TestActivities.Installation(_appId, _connector.ServiceUrl, conversation, "add"));
        AllText(await _connector.NextAsync(Cancel)).ShouldContain("Hello!");
        (await Store.GetAsync(Key(conversation), Cancel))!.Active.ShouldBeTrue();

        using var uninstalled = await PostAsync(TestActivities.Installation(_appId, _connector.ServiceUrl, conversation, "remove"));
        await WaitUntilAsync(async () => (await Store.GetAsync(Key(conversation), Cancel))!.Installed == false);
    }

    [Fact]
    public async Task Reply_MessageFromATenant_NamesThatTenantSoTheConnectorPacesItPerTenant()
    {
        var tenant = Guid.NewGuid().ToString();

        var reply = await SayAsync(TestActivities.PersonalConversationId(), "help", tenant);

        // The client's per-tenant limit (Bot:Connector:RequestsPerTenantPerSecond) is keyed by this field: without it
        // every reply of every tenant shared one 50/s budget.
        ((string)reply.Json["conversation"]!["tenantId"]!).ShouldBe(tenant);
    }

    [Fact]
    public async Task Help_ReturnsHelpCardWithSubmitButtons()
    {
        var reply = await SayAsync(TestActivities.PersonalConversationId(), "help");

        var card = reply.Card!;
        card["type"]!.GetValue<string>().ShouldBe("AdaptiveCard");
        AdaptiveCardRenderer.MeasureBytes(card).ShouldBeLessThan(AdaptiveCardRenderer.MaxCardBytes);
        var facts = card["body"]![1]!["facts"]!.AsArray().Select(fact => (string)fact!["title"]!).ToList();
        facts.ShouldContain("subscribe");
        facts.ShouldContain("mode daily 08:30 Europe/Berlin");
        var buttons = card["actions"]!.AsArray();
        buttons.ShouldAllBe(button => (string)button!["type"]! == "Action.Submit" && button["data"]!["command"] != null);
    }

    [Fact]
    public async Task SubscribeUnsubscribe_ChangeOnlyTheFlag()
    {
        var conversation = TestActivities.PersonalConversationId();

        (await SayAsync(conversation, "subscribe")).Text!.ShouldStartWith("Subscribed (mode instant)");
        (await Store.GetAsync(Key(conversation), Cancel))!.Subscribed.ShouldBeTrue();
        (await SayAsync(conversation, "UNSUBSCRIBE")).Text!.ShouldStartWith("Unsubscribed");
        (await Store.GetAsync(Key(conversation), Cancel))!.Subscribed.ShouldBeFalse();
    }

    [Theory]
    [InlineData("title:(diffusion")]
    [InlineData("titel:agents")]
    [InlineData("\"unclosed phrase")]
    [InlineData("agents AND")]
    public async Task Add_InvalidRule_ShowsTheParsersErrorExactlyAndStoresNothing(string rule)
    {
        var conversation = TestActivities.PersonalConversationId();
        var expected = RuleParser.Parse(rule).Error!.Text;

        var reply = await SayAsync(conversation, "add " + rule);

        reply.Text.ShouldBe("That rule has a problem: " + AdaptiveCardRenderer.Escape(expected));
        (await Store.ListRulesAsync(Key(conversation), Cancel)).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("agents")]
    [InlineData("title:\"reinforcement learning\"")]
    [InlineData("llm OR diffusion")]
    [InlineData("quantum teleportation")]
    public async Task Add_ValidRule_StoresItAndPreviewsCountAndThreeExamplesFromTheLastSevenDays(string rule)
    {
        var conversation = TestActivities.PersonalConversationId();
        // The preview lists the week's papers most upvoted first, so the examples are the best-liked matches.
        var listed = _papers.OrderByDescending(paper => paper.Upvotes).ThenBy(paper => paper.Id, StringComparer.Ordinal).ToList();
        var expected = RulePreview.Run(rule, listed).Matches;

        var reply = await SayAsync(conversation, "add " + rule);

        var body = reply.Card!["body"]!.AsArray();
        var heading = (string)body[0]!["text"]!;
        heading.ShouldContain($"it would have matched {expected.Count} paper");
        var shown = body.Skip(1).Where(item => (string?)item!["type"] == "Container").ToList();
        shown.Count.ShouldBe(Math.Min(3, expected.Count));
        for (var i = 0; i < shown.Count; i++)
        {
            ((string)shown[i]!["items"]![0]!["text"]!).ShouldContain(AdaptiveCardRenderer.Escape(expected[i].Paper.Title));
        }

        if (expected.Count > 3)
        {
            ((string)body[^1]!["text"]!).ShouldBe($"…and {expected.Count - 3} more");
        }

        (await Store.ListRulesAsync(Key(conversation), Cancel)).Select(stored => stored.Text).ShouldBe([rule]);
    }

    [Fact]
    public async Task RulesAndRemove_NumberRulesInOrderAndRemoveByNumber()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "add agents");
        await SayAsync(conversation, "add diffusion");
        await SayAsync(conversation, "add robot*");

        var listed = await SayAsync(conversation, "rules");
        var texts = listed.Card!["body"]!.AsArray().Skip(1).Select(row => (string)row!["columns"]![0]!["items"]![0]!["text"]!).ToList();
        texts.ShouldBe(["**1.** agents", "**2.** diffusion", "**3.** robot\\*"]);
        var removeButton = listed.Card!["body"]![2]!["columns"]![1]!["items"]![0]!["actions"]![0]!;
        var stored = await Store.ListRulesAsync(Key(conversation), Cancel);
        ((string)removeButton["data"]!["command"]!).ShouldBe("remove id:" + stored[1].RowKey); // the rule, not its place

        (await SayAsync(conversation, "remove 2")).Text.ShouldBe("Removed rule 2: diffusion");
        (await SayAsync(conversation, "remove 7")).Text.ShouldBe("There is no rule 7; this conversation has 2 rules.");
        (await SayAsync(conversation, "remove two")).Text!.ShouldStartWith("Usage: **remove**");
        (await Store.ListRulesAsync(Key(conversation), Cancel)).Select(rule => rule.Text).ShouldBe(["agents", "robot*"]);
    }

    [Fact]
    public async Task PauseResume_ToggleDeliveries()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "subscribe");

        (await SayAsync(conversation, "pause")).Text!.ShouldStartWith("Paused");
        (await Store.GetAsync(Key(conversation), Cancel))!.Active.ShouldBeFalse();
        (await SayAsync(conversation, "resume")).Text!.ShouldStartWith("Resumed: papers");
        (await Store.GetAsync(Key(conversation), Cancel))!.Active.ShouldBeTrue();
    }

    [Fact]
    public async Task Mode_DailyWithValidZone_StoredAndInstantRestores()
    {
        var conversation = TestActivities.PersonalConversationId();

        (await SayAsync(conversation, "mode daily 08:30 Europe/Berlin")).Text.ShouldBe("Mode set: one digest a day at 08:30 (Europe/Berlin).");
        var mode = (await Store.GetAsync(Key(conversation), Cancel))!.Mode;
        mode.ShouldBe(new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 30), "Europe/Berlin"));

        (await SayAsync(conversation, "mode instant")).Text!.ShouldStartWith("Mode set: papers are sent as soon");
        (await Store.GetAsync(Key(conversation), Cancel))!.Mode.ShouldBe(DeliveryMode.Instant);
    }

    [Fact]
    public async Task ModeWeeklyThenQuietWeekends_StoresTheDayAndTheModesZone()
    {
        var conversation = TestActivities.PersonalConversationId();

        (await SayAsync(conversation, "mode weekly MON 8:30 Europe/Berlin")).Text.ShouldBe("Mode set: one digest a week, on Monday at 08:30 (Europe/Berlin).");
        (await Store.GetAsync(Key(conversation), Cancel))!.Mode.ShouldBe(new DeliveryMode(DeliveryCadence.Weekly, new TimeOnly(8, 30), "Europe/Berlin", DayOfWeek.Monday));

        (await SayAsync(conversation, "quiet weekends")).Text.ShouldBe("Quiet days set: nothing is sent on sun sat (Europe/Berlin); papers found then go out with the next delivery.");
        var quiet = (await Store.GetAsync(Key(conversation), Cancel))!.QuietDays.ShouldNotBeNull();
        quiet.Days.ShouldBe([DayOfWeek.Sunday, DayOfWeek.Saturday], ignoreOrder: true);
        quiet.TimeZoneId.ShouldBe("Europe/Berlin");

        (await SayAsync(conversation, "quiet fri, sat UTC")).Text!.ShouldContain("fri sat (UTC)");
        (await SayAsync(conversation, "quiet off")).Text!.ShouldStartWith("Quiet days off");
        (await Store.GetAsync(Key(conversation), Cancel))!.QuietDays.ShouldBeNull();
    }

    [Theory]
    [InlineData("quiet funday", "\"funday\" is not a day of the week")]
    [InlineData("quiet weekends Mars/Olympus_Mons", "Unknown time zone")]
    [InlineData("quiet", "Usage: **quiet weekends**")]
    [InlineData("mode weekly someday 08:30 UTC", "\"someday\" is not a day of the week")]
    public async Task Quiet_Invalid_ExplainsAndKeepsNoQuietDays(string command, string expectedStart)
    {
        var conversation = TestActivities.PersonalConversationId();

        (await SayAsync(conversation, command)).Text!.ShouldStartWith(expectedStart);
        var subscription = await Store.GetAsync(Key(conversation), Cancel);
        subscription?.QuietDays.ShouldBeNull();
        (subscription?.Mode ?? DeliveryMode.Instant).ShouldBe(DeliveryMode.Instant);
    }

    [Theory]
    [InlineData("mode daily 08:30 Mars/Olympus_Mons", "Unknown time zone \"Mars/Olympus\\_Mons\"")]
    [InlineData("mode daily 25:00 Europe/Berlin", "\"25:00\" is not a time of day")]
    [InlineData("mode weekly", "Usage: **mode instant**")]
    public async Task Mode_Invalid_ExplainsAndKeepsMode(string command, string expectedStart)
    {
        var conversation = TestActivities.PersonalConversationId();

        (await SayAsync(conversation, command)).Text!.ShouldStartWith(expectedStart);
        (await Store.GetAsync(Key(conversation), Cancel))!.Mode.ShouldBe(DeliveryMode.Instant);
    }

    [Fact]
    public async Task Digest_SendsWhatMatchedSinceLastDeliveryThenNothingNew()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "add agents");
        await SayAsync(conversation, "add title:diffusion");
        var expected = _papers.Where(paper =>
            RulePreview.Run("agents", [paper]).Matches.Count > 0 || RulePreview.Run("title:diffusion", [paper]).Matches.Count > 0).ToList();
        expected.ShouldNotBeEmpty();

        var digest = await SayAsync(conversation, "digest");

        var body = digest.Card!["body"]!.AsArray();
        ((string)body[0]!["text"]!).ShouldStartWith($"{expected.Count} paper");
        var titles = body.Where(item => (string?)item!["type"] == "Container").Select(item => (string)item!["items"]![0]!["text"]!).ToList();
        titles.Count.ShouldBe(expected.Count);

        // The second digest is handled after the first finished (one conversation's activities run in order).
        (await SayAsync(conversation, "digest")).Text!.ShouldStartWith("Nothing new matched your rules since");
        var outbox = _bot.Services.GetRequiredService<DeliveryOutbox>();
        (await outbox.ListAsync(Key(conversation), Cancel)).Where(row => row.State == DeliveryState.Sent).Select(row => row.SentAt).Distinct().ShouldHaveSingleItem().ShouldNotBeNull();
    }

    [Fact]
    public async Task Digest_WhileAnotherSenderHoldsTheSubscription_SaysSoInsteadOfNothingNew()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "add agents");
        // A scheduled run (or a digest asked for a moment ago) is sending to this conversation right now.
        var pending = _bot.Services.GetRequiredService<PendingDeliveries>();
        var now = TimeProvider.System.GetUtcNow();
        await pending.MarkAsync([Key(conversation)], now, Cancel);
        (await pending.TryLeaseAsync(Key(conversation), null, now, TimeSpan.FromMinutes(5), Cancel)).Lease.ShouldNotBeNull();
        var before = _connector.All.Count;

        var digest = await SayAsync(conversation, "digest");

        digest.Text!.ShouldStartWith("Papers are being sent to this conversation right now");
        _connector.All.Count.ShouldBe(before + 1); // the answer, and no papers from this sender
    }

    [Fact]
    public async Task DigestFeedbackButtons_ClickedTwiceThenChanged_StoredOnceOnTheReceiptThenReplaced()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "add title:diffusion");
        var digest = await SayAsync(conversation, "digest");
        var first = digest.Card!["body"]!.AsArray().First(item => (string?)item!["type"] == "Container")!;
        var buttons = first["items"]!.AsArray().Single(item => (string?)item!["type"] == "ActionSet")!["actions"]!.AsArray();
        buttons.Select(button => (string)button!["title"]!).ShouldBe(["More like this", "Not interested"]);
        var like = (string)buttons[0]!["data"]!["command"]!;
        var paperId = like.Split(' ')[^1];
        like.ShouldBe("feedback like " + paperId);
        var outbox = _bot.Services.GetRequiredService<DeliveryOutbox>();

        using (await PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversation, like)))
        {
            (await _connector.NextAsync(Cancel)).Text!.ShouldStartWith("Noted: more like this.");
        }

        var stored = (await outbox.ListAsync(Key(conversation), Cancel)).Where(row => row.Feedback is not null).ShouldHaveSingleItem();
        using (await PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversation, like)))
        {
            (await _connector.NextAsync(Cancel)).Text.ShouldBe("Already noted.");
        }

        var again = (await outbox.ListAsync(Key(conversation), Cancel)).Where(row => row.Feedback is not null).ShouldHaveSingleItem();
        (again.PaperId, again.Feedback, again.FeedbackAt, again.ETag).ShouldBe((paperId, "Liked", stored.FeedbackAt, stored.ETag));
        using (await PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversation, (string)buttons[1]!["data"]!["command"]!)))
        {
            (await _connector.NextAsync(Cancel)).Text!.ShouldStartWith("Noted: not interested.");
        }

        (await outbox.ListAsync(Key(conversation), Cancel)).Where(row => row.Feedback is not null).ShouldHaveSingleItem().Feedback.ShouldBe("Disliked");
        (await SayAsync(conversation, "feedback like 9999.99999")).Text.ShouldBe("Paper 9999.99999 was not delivered here, so there is nothing to note.");
    }

    [Fact]
    public async Task Digest_WithoutRules_AsksForOne()
    {
        (await SayAsync(TestActivities.PersonalConversationId(), "digest")).Text.ShouldBe("No rules yet: add one with **add** *rule* first.");
    }

    [Theory]
    [InlineData("limit 0")]
    [InlineData("limit 51")]
    [InlineData("limit ten")]
    [InlineData("limit")]
    public async Task Limit_OutOfRangeOrNotANumber_ShowsUsageAndStoresNothing(string text)
    {
        var conversation = TestActivities.PersonalConversationId();

        (await SayAsync(conversation, text)).Text.ShouldBe("Usage: **limit** *N* (1 to 50) or **limit off**.");

        (await Store.GetAsync(Key(conversation), Cancel))!.MessageLimit.ShouldBeNull();
    }

    [Fact]
    public async Task LimitAndNothingNote_SetThenOff_StoredAndShownByStatus()
    {
        var conversation = TestActivities.PersonalConversationId();
        (await SayAsync(conversation, "limit 12")).Text.ShouldStartWith("Limit set: at most 12 papers a delivery");
        (await SayAsync(conversation, "nothing-note on")).Text!.ShouldStartWith("Nothing-matched note on. It is for daily and weekly digests");
        await SayAsync(conversation, "mode daily 08:30 UTC");
        (await SayAsync(conversation, "nothing-note on")).Text!.ShouldStartWith("Nothing-matched note on: a digest that finds nothing sends a short note");

        var facts = Facts(await SayAsync(conversation, "status"));
        (facts["Limit"], facts["Held back"], facts["Nothing-matched note"]).ShouldBe(("12 papers a delivery", "none", "on"));
        var subscription = (await Store.GetAsync(Key(conversation), Cancel))!;
        (subscription.MessageLimit, subscription.NothingMatchedNote).ShouldBe((12, true));

        (await SayAsync(conversation, "limit off")).Text.ShouldBe("Limit off: every matched paper is sent.");
        (await SayAsync(conversation, "nothing-note off")).Text!.ShouldStartWith("Nothing-matched note off");
        (await SayAsync(conversation, "nothing-note maybe")).Text.ShouldBe("Usage: **nothing-note on** or **nothing-note off**.");
        subscription = (await Store.GetAsync(Key(conversation), Cancel))!;
        (subscription.MessageLimit, subscription.NothingMatchedNote).ShouldBe((null, false));
        (await SayAsync(conversation, "more")).Text.ShouldBe("Nothing is held back: every matched paper was sent.");
    }

    [Fact]
    public async Task Status_ShowsLastCrawlPapersTodayAndDeliveries()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "subscribe");

        var status = await SayAsync(conversation, "status");

        var facts = status.Card!["body"]![1]!["facts"]!.AsArray().ToDictionary(fact => (string)fact!["title"]!, fact => (string)fact!["value"]!);
        facts["Papers today"].ShouldBe(_papers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        facts["Last crawl"].ShouldNotBe("never");
        facts["This conversation"].ShouldBe("subscribed");
        facts["Delivered"].ShouldBe("nothing yet");
        facts["Mode"].ShouldBe("instant");
    }

    [Fact]
    public async Task UnknownText_GetsShortHelpWithTheTextEscaped()
    {
        var reply = await SayAsync(TestActivities.PersonalConversationId(), "**bold** <at>Someone</at> [link](https://evil.example)");

        reply.Text.ShouldBe("I did not understand \"\\*\\*bold\\*\\* Someone \\[link\\](https://evil.example)\". Try **help**, **subscribe**, **add** *rule*, **rules**, **digest** or **status**.");
    }

    [Fact]
    public async Task ChannelMessage_BotMentionStrippedByEntityAndAnswerInThread()
    {
        var channel = TestActivities.ChannelId();
        var conversation = TestActivities.ChannelPost(channel);
        var activity = TestActivities.ChannelMention(_appId, _connector.ServiceUrl, conversation, "Renamed Bot", "subscribe");
        var activityId = (string)activity["id"]!;

        using var response = await PostAsync(activity);
        var reply = await _connector.NextAsync(Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        reply.RawTarget.ShouldBe($"/amer/v3/conversations/{Uri.EscapeDataString(conversation)}/activities/{Uri.EscapeDataString(activityId)}");
        reply.Json["replyToId"]!.GetValue<string>().ShouldBe(activityId);
        reply.Text!.ShouldStartWith("Subscribed");
        (await Store.GetAsync(Key(channel), Cancel))!.TeamsReference().TeamId.ShouldBe("19:team@thread.tacv2"); // the channel's subscription
    }

    [Fact]
    public async Task ChannelMessage_MentionOfSomeoneElseWithTheBotsName_IsNotStripped()
    {
        var conversation = TestActivities.ChannelConversationId();
        var activity = TestActivities.Message(_appId, _connector.ServiceUrl, conversation, "<at>Paper Alerts</at> subscribe", "channel");
        activity["entities"] = new JsonArray(new JsonObject
        {
            ["type"] = "mention",
            ["mentioned"] = new JsonObject { ["id"] = "29:impostor", ["name"] = "Paper Alerts" },
            ["text"] = "<at>Paper Alerts</at>",
        });

        using var response = await PostAsync(activity);
        var reply = await _connector.NextAsync(Cancel);

        // The tag goes, its text stays: "Paper Alerts subscribe" is not a command.
        reply.Text!.ShouldStartWith("I did not understand \"Paper Alerts subscribe\"");
    }

    [Fact]
    public async Task SubmitButton_MessageWithValueCommand_RunsTheCommand()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "add agents");

        using var response = await PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversation, "remove 1"));
        var reply = await _connector.NextAsync(Cancel);

        reply.Text.ShouldBe("Removed rule 1: agents");
    }

    [Fact]
    public async Task ExecuteButton_InvokeAnsweredInResponseAndCommandRun()
    {
        var conversation = TestActivities.PersonalConversationId();

        using var response = await PostAsync(TestActivities.Execute(_appId, _connector.ServiceUrl, conversation, "subscribe"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!;
        var message = await _connector.NextAsync(Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        body["statusCode"]!.GetValue<int>().ShouldBe(200);
        body["type"]!.GetValue<string>().ShouldBe("application/vnd.microsoft.activity.message");
        ((string)body["value"]!).ShouldStartWith("Subscribed");
        message.Text!.ShouldStartWith("Subscribed");
        (await Store.GetAsync(Key(conversation), Cancel))!.Subscribed.ShouldBeTrue();
    }

    [Fact] // B18
    public async Task Invoke_UnknownName_Returns501()
    {
        using var response = await PostAsync(TestActivities.Execute(_appId, _connector.ServiceUrl, TestActivities.PersonalConversationId(), "help", name: "composeExtension/query"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotImplemented);
    }

    [Fact]
    public async Task Invoke_AdaptiveCardActionWithoutExecute_Returns400ErrorBody()
    {
        var activity = TestActivities.Execute(_appId, _connector.ServiceUrl, TestActivities.PersonalConversationId(), "help");
        activity["value"]!["action"]!["type"] = "Action.Submit";

        using var response = await PostAsync(activity);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!;

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        body["type"]!.GetValue<string>().ShouldBe("application/vnd.microsoft.error");
    }

    [Fact]
    public async Task Isolation_AnotherConversationCannotSeeOrRemoveRules()
    {
        var alice = TestActivities.PersonalConversationId();
        var bob = TestActivities.PersonalConversationId();
        await SayAsync(alice, "add agents");

        var bobsRules = await SayAsync(bob, "rules");
        var bobsRemove = await SayAsync(bob, "remove 1");
        var bobTypesAlicesId = await SayAsync(bob, "remove 1 " + alice);
        var alicesRule = (await Store.ListRulesAsync(Key(alice), Cancel))[0];
        var bobSendsAlicesRuleId = await SayAsync(bob, "remove id:" + alicesRule.RowKey);

        AllText(bobsRules).ShouldContain("No rules yet");
        bobsRemove.Text.ShouldBe("There is no rule 1; this conversation has 0 rules.");
        bobTypesAlicesId.Text!.ShouldStartWith("Usage: **remove**");
        bobSendsAlicesRuleId.Text.ShouldBe("That rule was already removed.");
        (await Store.ListRulesAsync(Key(alice), Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);
    }

    [Fact]
    public async Task Isolation_SameConversationIdInAnotherTenant_IsAnotherSubscription()
    {
        var conversation = TestActivities.PersonalConversationId();
        var otherTenant = Guid.NewGuid().ToString();
        await SayAsync(conversation, "add agents");
        await SayAsync(conversation, "subscribe");

        var otherRules = await SayAsync(conversation, "rules", otherTenant);
        await SayAsync(conversation, "remove 1", otherTenant);
        await SayAsync(conversation, "unsubscribe", otherTenant);

        AllText(otherRules).ShouldContain("No rules yet");
        (await Store.ListRulesAsync(Key(conversation), Cancel)).Count.ShouldBe(1);
        (await Store.GetAsync(Key(conversation), Cancel))!.Subscribed.ShouldBeTrue();
        (await Store.GetAsync(Key(conversation, otherTenant), Cancel))!.Subscribed.ShouldBeFalse();
    }

    [Fact]
    public async Task ConnectorSaysBotRemoved_SubscriptionDeactivatedUntilTheNextMessage()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "subscribe");
        _connector.PlanFailure(403, "BotNotInConversationRoster");

        await SayAsync(conversation, "status");

        await WaitUntilAsync(async () => (await Store.GetAsync(Key(conversation), Cancel))!.Installed == false);
        (await Store.GetAsync(Key(conversation), Cancel))!.Subscribed.ShouldBeTrue(); // data kept
        // The same address as a moment ago: only the deactivation tells the bot to record the contact again.
        await SayAsync(conversation, "help");
        (await Store.GetAsync(Key(conversation), Cancel))!.Installed.ShouldBeTrue();
    }

    [Fact]
    public async Task Help_AgainSoonInTheSameConversation_CostsNoStorageRequest()
    {
        var conversation = TestActivities.PersonalConversationId();
        var counter = _bot.Services.GetRequiredService<StorageRequestCounter>();
        await SayAsync(conversation, "help");
        var before = counter.Current;

        var again = await SayAsync(conversation, "help");

        again.Card.ShouldNotBeNull();
        (counter.Current - before).Total.ShouldBe(0);
    }

    [Fact] // B22
    public async Task Add_VeryLongRule_Refused()
    {
        var conversation = TestActivities.PersonalConversationId();

        var reply = await SayAsync(conversation, "add " + string.Join(" OR ", Enumerable.Range(0, 200).Select(i => $"word{i}")));

        reply.Text!.ShouldContain("the limit is 500");
        (await Store.ListRulesAsync(Key(conversation), Cancel)).ShouldBeEmpty();
    }

    [Fact] // issue 7 item 8
    public async Task ChannelPosts_SubscribeAddDigestStatusEachInANewPost_AreOneSubscriptionOfTheChannel()
    {
        var channel = TestActivities.ChannelId();
        var expected = Matching("title:diffusion");
        expected.ShouldNotBeEmpty();

        (await MentionAsync(TestActivities.ChannelPost(channel), "subscribe")).Text!.ShouldStartWith("Subscribed");
        AllText(await MentionAsync(TestActivities.ChannelPost(channel), "add title:diffusion")).ShouldContain("Rule 1 added");
        var digest = await MentionAsync(TestActivities.ChannelPost(channel), "digest");
        var status = await MentionAsync(TestActivities.ChannelPost(channel), "status");

        // The digest is the channel's delivery: a new post in the channel (docs/protocols.md §3.2), not a reply in a thread.
        digest.CreatesConversation.ShouldBeTrue(digest.RawTarget + " " + digest.Body);
        digest.RawTarget.ShouldBe("/amer/v3/conversations");
        digest.Json["isGroup"]!.GetValue<bool>().ShouldBeTrue();
        ((string)digest.Json["channelData"]!["channel"]!["id"]!).ShouldBe(channel);
        ((string)digest.Json["tenantId"]!).ShouldBe(TestActivities.TenantId);
        ((string)digest.Card!["body"]![0]!["text"]!).ShouldStartWith($"{expected.Count} paper");
        Facts(status)["This conversation"].ShouldBe("subscribed");
        Facts(status)["Rules"].ShouldBe("1");
        var subscription = await Store.GetAsync(Key(channel), Cancel);
        subscription.ShouldNotBeNull();
        subscription.TeamsReference().Conversation.Id.ShouldBe(channel);
        subscription.TeamsReference().Conversation.ConversationType.ShouldBe("channel");
    }

    [Fact] // issue 7 item 8
    public async Task ChannelSubscription_ScheduledDelivery_IsANewPostInTheChannelNotInTheThread()
    {
        var channel = TestActivities.ChannelId();
        var thread = TestActivities.ChannelPost(channel);
        var expected = Matching("agents");
        expected.ShouldNotBeEmpty();
        await MentionAsync(thread, "subscribe");
        await MentionAsync(TestActivities.ChannelPost(channel), "add agents");

        var report = await _bot.Services.GetRequiredService<NotifySubscribers>().RunAsync(Cancel);

        report.PapersSent.ShouldBe(expected.Count);
        var sent = await _connector.NextAsync(Cancel);
        sent.RawTarget.ShouldBe("/amer/v3/conversations");
        sent.RawTarget.ShouldNotContain("messageid");
        ((string)sent.Json["channelData"]!["channel"]!["id"]!).ShouldBe(channel);
        sent.Json["activity"]!["replyToId"].ShouldBeNull();
        sent.Card.ShouldNotBeNull();
    }

    [Fact] // issue 7 item 8
    public async Task GroupChat_KeyAndReplies_StayTheConversations()
    {
        var groupChat = $"19:{Guid.NewGuid():N}@thread.v2";
        using var response = await PostAsync(TestActivities.Message(_appId, _connector.ServiceUrl, groupChat, "subscribe", "groupChat"));
        var reply = await _connector.NextAsync(Cancel);

        reply.RawTarget.ShouldBe($"/amer/v3/conversations/{Uri.EscapeDataString(groupChat)}/activities");
        (await Store.GetAsync(Key(groupChat), Cancel))!.Subscribed.ShouldBeTrue();
    }

    [Fact] // issue 7 item 9
    public async Task RulesCardRemoveButton_ClickedTwice_RemovesItsRuleThenSaysAlreadyRemoved()
    {
        var conversation = TestActivities.PersonalConversationId();
        await SayAsync(conversation, "add author:\"Zhenghao Zhang\"");
        await SayAsync(conversation, "add title:agents");
        var listed = await SayAsync(conversation, "rules");
        var removeFirst = (string)listed.Card!["body"]![1]!["columns"]![1]!["items"]![0]!["actions"]![0]!["data"]!["command"]!;

        using var first = await PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversation, removeFirst));
        var firstReply = await _connector.NextAsync(Cancel);
        using var second = await PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversation, removeFirst));
        var secondReply = await _connector.NextAsync(Cancel);

        firstReply.Text.ShouldBe("Removed rule 1: author:\"Zhenghao Zhang\"");
        secondReply.Text.ShouldBe("That rule was already removed.");
        (await Store.ListRulesAsync(Key(conversation), Cancel)).Select(rule => rule.Text).ShouldBe(["title:agents"]);
    }

    [Fact] // issue 7 item 10
    public async Task Add_PapersListedWeeksAgoButFirstSeenNow_PreviewCountsWhatTheDigestSends()
    {
        // A backfill: old daily pages crawled for the first time an hour ago.
        var storage = _bot.Services.GetRequiredService<DigestStorage>();
        var listedOn = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime).AddDays(-30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var row in await new PaperStore(storage).ReadAsync(_papers.Select(paper => paper.Id), Cancel))
        {
            row.Value.Date = listedOn;
            await storage.Papers.UpdateEntityAsync(row.Value, row.Value.ETag, cancellationToken: Cancel);
        }

        var conversation = TestActivities.PersonalConversationId();
        var expected = Matching("title:diffusion");
        expected.ShouldNotBeEmpty();

        var preview = await SayAsync(conversation, "add title:diffusion");
        var digest = await SayAsync(conversation, "digest");

        var heading = (string)preview.Card!["body"]![0]!["text"]!;
        heading.ShouldContain("first seen");
        heading.ShouldContain($"it would have matched {expected.Count} paper");
        ((string)digest.Card!["body"]![0]!["text"]!).ShouldStartWith($"{expected.Count} paper");
    }

    [Fact] // issue 7 item 11
    public async Task Status_AfterADigestOfSeveralMessages_ShowsPapersAndMessagesDelivered()
    {
        const string Rule = "model OR models OR learning OR language OR data";
        var conversation = TestActivities.PersonalConversationId();
        var expected = Matching(Rule);
        expected.Count.ShouldBeGreaterThan(10); // more than one message's worth (Delivery:MaxPapersPerMessage)
        await SayAsync(conversation, "subscribe");
        await SayAsync(conversation, "add " + Rule);

        using var response = await PostAsync(TestActivities.Message(_appId, _connector.ServiceUrl, conversation, "digest"));
        var messages = 0;
        var papers = 0;
        while (papers < expected.Count)
        {
            var message = await _connector.NextAsync(Cancel);
            messages++;
            papers += message.Card!["body"]!.AsArray().Count(item => (string?)item!["type"] == "Container");
        }

        var status = await SayAsync(conversation, "status");

        messages.ShouldBeGreaterThan(1);
        papers.ShouldBe(expected.Count);
        Facts(status)["Delivered"].ShouldBe($"{expected.Count} papers in {messages} messages");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, Cancel);
        }

        throw new TimeoutException("The condition did not become true within 30 s.");
    }
}
