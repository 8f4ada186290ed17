using System.Net;
using System.Text.Json.Nodes;
using Digest.Delivery;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Delivery;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>The buttons of delivered cards end to end: Action.Submit clicks as signed activities into /api/messages,
/// cards recorded by the loopback connector, state in Azurite. "Show more" of a capped delivery, and feedback.</summary>
public sealed class TeamsButtonTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _appId = Guid.NewGuid().ToString();
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private BotTestHost _bot = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private DigestStorage Storage => _bot.Services.GetRequiredService<DigestStorage>();

    private DeliveryOutbox Outbox => _bot.Services.GetRequiredService<DeliveryOutbox>();

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(_appId, Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    private static ConversationKey Key(string conversationId) => ConversationKey.Create("msteams", TestActivities.TenantId, conversationId);

    private async Task<ConnectorRequest> SayAsync(string conversationId, string text)
    {
        using var response = await _bot.PostAsync(TestActivities.Message(_appId, _connector.ServiceUrl, conversationId, text).ToJsonString(), _identity.ChannelToken(_connector.ServiceUrl), Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await _connector.NextAsync(Cancel);
    }

    /// <summary>Clicks an Action.Submit button <paramref name="times"/> times at once; returns what the bot sent for them.</summary>
    private async Task<List<ConnectorRequest>> ClickAsync(string conversationId, string command, int times = 1)
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, times).Select(_ =>
            _bot.PostAsync(TestActivities.Submit(_appId, _connector.ServiceUrl, conversationId, command).ToJsonString(), _identity.ChannelToken(_connector.ServiceUrl), Cancel)));
        foreach (var response in responses)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Dispose();
        }

        var sent = new List<ConnectorRequest>();
        for (var i = 0; i < times; i++)
        {
            sent.Add(await _connector.NextAsync(Cancel));
        }

        return sent;
    }

    // The paper ids of a papers card, in order: each paper's feedback button names it.
    private static List<string> PaperIds(ConnectorRequest card) =>
        [.. card.Card!["body"]!.AsArray().Where(item => (string?)item!["type"] == "Container")
            .Select(item => ((string)item!["items"]!.AsArray().Single(part => (string?)part!["type"] == "ActionSet")!["actions"]![0]!["data"]!["command"]!).Split(' ')[^1])];

    private static JsonObject? ShowMore(ConnectorRequest card) => card.Card!["actions"]?.AsArray().SingleOrDefault()?.AsObject();

    [Fact]
    public async Task ShowMore_CappedDigestThenEachButtonClickedTwiceAtOnce_DeliversEveryPaperExactlyOnce()
    {
        var papers = await PaperSeeder.SeedAsync(Storage, TestData.HfPapers(DeliveryHarness.Fixture), DateOnly.FromDateTime(Now.UtcDateTime), Now.AddHours(-1), Cancel);
        var expected = DeliveryHarness.Expected(papers, FeedbackScenario.Rules);
        expected.Count.ShouldBeGreaterThan(8, "three batches of 4 need more than 8 matches");
        var conversation = TestActivities.PersonalConversationId();
        foreach (var rule in FeedbackScenario.Rules)
        {
            await SayAsync(conversation, "add " + rule);
        }

        (await SayAsync(conversation, "limit 4")).Text!.ShouldStartWith("Limit set: at most 4 papers a delivery");

        var digest = await SayAsync(conversation, "digest");

        ((string)digest.Card!["body"]![0]!["text"]!).ShouldBe($"{expected.Count} papers matched your rules, 4 shown");
        var delivered = PaperIds(digest);
        delivered.Count.ShouldBe(4);
        var button = ShowMore(digest).ShouldNotBeNull();
        ((string)button["type"]!).ShouldBe("Action.Submit");
        ((string)button["title"]!).ShouldBe($"Show 4 more ({expected.Count - 4} waiting)");
        (await Outbox.ListHeldAsync(Key(conversation), Cancel)).Count.ShouldBe(expected.Count - 4);
        var firstCommand = (string)button["data"]!["command"]!;
        firstCommand.ShouldStartWith("more ");

        var messages = 1;
        while (ShowMore(digest) is { } more)
        {
            // A double click: both activities arrive at once; one sends the next papers, the other only says so.
            var answers = await ClickAsync(conversation, (string)more["data"]!["command"]!, times: 2);
            digest = answers.Single(answer => answer.Card is not null);
            answers.Single(answer => answer.Card is null).Text.ShouldNotBeNull();
            ((string)digest.Card!["body"]![0]!["text"]!).ShouldEndWith("more papers that matched your rules");
            delivered.AddRange(PaperIds(digest));
            messages++;
        }

        messages.ShouldBe((expected.Count + 3) / 4);
        delivered.ShouldBeUnique();
        delivered.ShouldBe(expected, ignoreOrder: true);
        var rows = await Outbox.ListAsync(Key(conversation), Cancel);
        rows.ShouldAllBe(row => row.State == DeliveryState.Sent);
        rows.Count.ShouldBe(expected.Count);

        // The first button again, long after: nothing is sent twice.
        var late = (await ClickAsync(conversation, firstCommand)).Single();
        late.Card.ShouldBeNull();
        late.Text.ShouldBe("Nothing is held back: every matched paper was sent.");
        var facts = (await SayAsync(conversation, "status")).Card!["body"]![1]!["facts"]!.AsArray().ToDictionary(fact => (string)fact!["title"]!, fact => (string)fact!["value"]!);
        facts["Limit"].ShouldBe("4 papers a delivery");
        facts["Held back"].ShouldBe("none");
        facts["Delivered"].ShouldBe($"{expected.Count} papers in {messages} messages");
    }

    [Fact]
    public async Task FeedbackButtons_ClickedTwiceThenNextDigest_StoredOnceReordersTheDigestAndRulesShowTheLearnedTerms()
    {
        var scenario = FeedbackScenario.Of(await PaperSeeder.ReadAsync(TestData.HfPapers(DeliveryHarness.Fixture), DateOnly.FromDateTime(Now.UtcDateTime), Cancel));
        await PaperSeeder.ObserveAsync(Storage, scenario.First, Now.AddMinutes(-10), Cancel);
        var conversation = TestActivities.PersonalConversationId();
        foreach (var rule in FeedbackScenario.Rules)
        {
            await SayAsync(conversation, "add " + rule);
        }

        var first = await SayAsync(conversation, "digest");
        var buttons = first.Card!["body"]!.AsArray().Where(item => (string?)item!["type"] == "Container")
            .SelectMany(item => item!["items"]!.AsArray().Single(part => (string?)part!["type"] == "ActionSet")!["actions"]!.AsArray())
            .Select(action => (string)action!["data"]!["command"]!).ToList();
        var clicks = scenario.Liked.Select(paper => FeedbackButtons.Command(PaperFeedback.Liked, paper.Id))
            .Concat(scenario.Disliked.Select(paper => FeedbackButtons.Command(PaperFeedback.Disliked, paper.Id))).ToList();
        clicks.Count.ShouldBeGreaterThanOrEqualTo(FeedbackRanking.MinimumFeedback);
        clicks.ShouldBeSubsetOf(buttons, "the delivered card carries every button clicked");

        foreach (var click in clicks)
        {
            (await ClickAsync(conversation, click)).Single().Text!.ShouldStartWith("Noted:");
        }

        // The first click again: stored once.
        (await ClickAsync(conversation, clicks[0])).Single().Text.ShouldBe("Already noted.");
        var withFeedback = (await Outbox.ListAsync(Key(conversation), Cancel)).Where(row => row.Feedback is not null).ToList();
        withFeedback.Count.ShouldBe(clicks.Count);
        (await _bot.Services.GetRequiredService<SubscriptionStore>().GetAsync(Key(conversation), Cancel))!.FeedbackCount.ShouldBe(clicks.Count);

        await PaperSeeder.ObserveAsync(Storage, scenario.Second, Now, Cancel);
        var next = await SayAsync(conversation, "digest");

        scenario.ShouldBeRankedByTheFeedback(PaperIds(next));
        var rules = (await SayAsync(conversation, "rules")).Card!.ToJsonString();
        rules.ShouldMatch("Learned from your feedback: more like [^;]*\\*\\*agent");
        rules.ShouldMatch("less like [^.]*\\*\\*diffusion\\*\\*");
    }
}
