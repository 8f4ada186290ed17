using System.Net;
using System.Text.Json.Nodes;
using Digest.Delivery;
using Digest.Platforms.Slack;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Delivery;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The buttons of delivered Block Kit alerts end to end: signed <c>block_actions</c> payloads into
/// /api/slack/interactions, messages recorded by the loopback Slack, state in Azurite. "Show more" of a capped delivery,
/// and feedback.</summary>
public sealed class SlackButtonTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Team = SlackTestSettings.Team;
    private const string User = "U0BOB";

    private LoopbackSlack _slack = null!;
    private BotTestHost _bot = null!;
    private SlackTestClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static DateTimeOffset Now => TimeProvider.System.GetUtcNow();

    private DigestStorage Storage => _bot.Services.GetRequiredService<DigestStorage>();

    private DeliveryOutbox Outbox => _bot.Services.GetRequiredService<DeliveryOutbox>();

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(SlackTestSettings.Configuration(_slack, azurite.ConnectionString), Cancel);
        _client = new SlackTestClient(_bot.Client, SlackTestSettings.SigningSecret);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static string NewChannel() => "C" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    private static ConversationKey Key(string channel) => SlackAddress.Key(new SlackConversation(Team, null, channel));

    private List<JsonObject> PostsTo(string channel) =>
        [.. _slack.PostedMessages.Select(post => post.Json).Where(json => (string?)json["channel"] == channel)];

    /// <summary>Types <c>/digest {text}</c>; returns the ephemeral answer's text.</summary>
    private async Task<JsonObject> CommandAsync(string channel, string text)
    {
        using var response = await _client.CommandAsync(Team, channel, User, text, _slack.NewResponseUrl(), Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject();
    }

    /// <summary><c>/digest digest</c>; waits for the alert it posts to the channel.</summary>
    private async Task<JsonObject> DigestAsync(string channel)
    {
        var before = PostsTo(channel).Count;
        await CommandAsync(channel, "digest");
        await WaitUntilAsync(() => PostsTo(channel).Count > before);
        return PostsTo(channel)[before];
    }

    /// <summary>Clicks a button of an alert in <paramref name="channel"/> <paramref name="times"/> times at once; waits for
    /// every click's answer through its response_url, and returns those answers.</summary>
    private async Task<List<JsonObject>> ClickAsync(string channel, string value, int times = 1)
    {
        var urls = Enumerable.Range(0, times).Select(_ => _slack.NewResponseUrl()).ToList();
        var responses = await Task.WhenAll(urls.Select(url =>
            _client.InteractionAsync(SlackPayloads.MessageAction(Team, User, channel, BlockKitRenderer.CommandActionId, value, url), Cancel)));
        foreach (var response in responses)
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            response.Dispose();
        }

        var paths = urls.Select(url => new Uri(url).AbsolutePath).ToHashSet(StringComparer.Ordinal);
        await WaitUntilAsync(() => _slack.ResponseUrlPosts.Count(post => paths.Contains(post.Path)) == times);
        return [.. _slack.ResponseUrlPosts.Where(post => paths.Contains(post.Path)).Select(post => post.Json)];
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
        }
    }

    private static IEnumerable<string> ButtonValues(JsonObject message) =>
        message["blocks"]!.AsArray().Where(block => (string?)block!["type"] == "actions")
            .SelectMany(block => block!["elements"]!.AsArray())
            .Where(button => (string?)button!["action_id"] == BlockKitRenderer.CommandActionId)
            .Select(button => (string)button!["value"]!);

    // The paper ids of an alert, in order: each paper's feedback button names it.
    private static List<string> PaperIds(JsonObject message) =>
        [.. ButtonValues(message).Where(value => value.StartsWith("feedback like ", StringComparison.Ordinal)).Select(value => value.Split(' ')[^1])];

    private static JsonObject? ShowMore(JsonObject message) =>
        message["blocks"]!.AsArray().Last() is { } last && (string?)last["type"] == "actions"
        && last["elements"]![0] is { } button && ((string)button["value"]!).StartsWith("more ", StringComparison.Ordinal) ? button.AsObject() : null;

    [Fact]
    public async Task ShowMore_CappedAlertThenEachButtonClickedTwiceAtOnce_DeliversEveryPaperExactlyOnce()
    {
        var papers = await PaperSeeder.SeedAsync(Storage, TestData.HfPapers(DeliveryHarness.Fixture), DateOnly.FromDateTime(Now.UtcDateTime), Now.AddHours(-1), Cancel);
        var expected = DeliveryHarness.Expected(papers, FeedbackScenario.Rules);
        expected.Count.ShouldBeGreaterThan(8, "three batches of 4 need more than 8 matches");
        var channel = NewChannel();
        foreach (var rule in FeedbackScenario.Rules)
        {
            await CommandAsync(channel, "add " + rule);
        }

        ((string)(await CommandAsync(channel, "limit 4"))["text"]!).ShouldStartWith("Limit set: at most 4 papers a delivery");

        var alert = await DigestAsync(channel);

        ((string)alert["blocks"]![0]!["text"]!["text"]!).ShouldBe($"{expected.Count} papers matched your rules, 4 shown");
        var delivered = PaperIds(alert);
        delivered.Count.ShouldBe(4);
        var button = ShowMore(alert).ShouldNotBeNull();
        ((string)button["text"]!["text"]!).ShouldBe($"Show 4 more ({expected.Count - 4} waiting)");
        var firstValue = (string)button["value"]!;

        var messages = 1;
        while (ShowMore(alert) is { } more)
        {
            var before = PostsTo(channel).Count;
            // A double click: both payloads arrive at once; one posts the next papers, both are answered.
            (await ClickAsync(channel, (string)more["value"]!, times: 2)).Count.ShouldBe(2);
            PostsTo(channel).Count.ShouldBe(before + 1);
            alert = PostsTo(channel)[before];
            ((string)alert["blocks"]![0]!["text"]!["text"]!).ShouldEndWith("more papers that matched your rules");
            delivered.AddRange(PaperIds(alert));
            messages++;
        }

        messages.ShouldBe((expected.Count + 3) / 4);
        delivered.ShouldBeUnique();
        delivered.ShouldBe(expected, ignoreOrder: true);
        var rows = await Outbox.ListAsync(Key(channel), Cancel);
        rows.ShouldAllBe(row => row.State == DeliveryState.Sent);
        rows.Count.ShouldBe(expected.Count);

        // The first button again: answered, nothing posted.
        var late = (await ClickAsync(channel, firstValue)).Single();
        ((string)late["text"]!).ShouldBe("Nothing is held back: every matched paper was sent.");
        PostsTo(channel).Count.ShouldBe(messages);
    }

    [Fact]
    public async Task FeedbackButtons_ClickedTwiceThenNextAlert_StoredOnceReordersTheAlertAndRulesShowTheLearnedTerms()
    {
        var scenario = FeedbackScenario.Of(await PaperSeeder.ReadAsync(TestData.HfPapers(DeliveryHarness.Fixture), DateOnly.FromDateTime(Now.UtcDateTime), Cancel));
        await PaperSeeder.ObserveAsync(Storage, scenario.First, Now.AddMinutes(-10), Cancel);
        var channel = NewChannel();
        foreach (var rule in FeedbackScenario.Rules)
        {
            await CommandAsync(channel, "add " + rule);
        }

        var first = await DigestAsync(channel);
        var buttons = ButtonValues(first).ToList();
        var clicks = scenario.Liked.Select(paper => FeedbackButtons.Command(PaperFeedback.Liked, paper.Id))
            .Concat(scenario.Disliked.Select(paper => FeedbackButtons.Command(PaperFeedback.Disliked, paper.Id))).ToList();
        clicks.Count.ShouldBeGreaterThanOrEqualTo(FeedbackRanking.MinimumFeedback);
        clicks.ShouldBeSubsetOf(buttons, "the delivered alert carries every button clicked");

        // The first button double-clicked: both payloads at once, one notes it.
        (await ClickAsync(channel, clicks[0], times: 2)).Select(answer => ((string)answer["text"]!)[..6]).ShouldBe(["Noted:", "Alread"], ignoreOrder: true);
        foreach (var click in clicks.Skip(1))
        {
            ((string)(await ClickAsync(channel, click)).Single()["text"]!).ShouldStartWith("Noted:");
        }

        // And once more later: stored once.
        ((string)(await ClickAsync(channel, clicks[0])).Single()["text"]!).ShouldBe("Already noted.");
        (await Outbox.ListAsync(Key(channel), Cancel)).Count(row => row.Feedback is not null).ShouldBe(clicks.Count);
        (await _bot.Services.GetRequiredService<SubscriptionStore>().GetAsync(Key(channel), Cancel))!.FeedbackCount.ShouldBe(clicks.Count);

        await PaperSeeder.ObserveAsync(Storage, scenario.Second, Now, Cancel);
        var next = await DigestAsync(channel);

        scenario.ShouldBeRankedByTheFeedback(PaperIds(next));
        var rules = (await CommandAsync(channel, "rules"))["blocks"]!.ToJsonString();
        rules.ShouldMatch("Learned from your feedback: more like [^;]*agent");
        rules.ShouldMatch("less like [^.]*diffusion");
    }
}
