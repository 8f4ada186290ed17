using System.Text.Json.Nodes;
using Digest.Delivery;
using Digest.Papers;
using Digest.Platforms.Slack;
using Digest.Platforms.Slack.Installations;
using Digest.Rules;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The notifier's deliveries to native Slack app subscriptions: Azurite, a loopback Slack Web API that records
/// <c>chat.postMessage</c>, installations stored through the OAuth exchange, fake time.</summary>
public sealed class SlackDeliveryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
    private static readonly string[] Rules = ["diffusion"];

    private LoopbackSlack _slack = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _slack = await LoopbackSlack.StartAsync(Cancel);

    public async ValueTask DisposeAsync() => await _slack.DisposeAsync();

    [Fact]
    public async Task RunAsync_SlackSubscription_SendsTheMatchedPapersAsBlockKitOnceAndTheNextRunNothing()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        var papers = await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = new SlackConversation("TALPHA", null, "C0ALPHA");
        var key = await SubscribeAsync(harness, conversation, Rules);
        var expected = DeliveryHarness.Expected(papers, Rules);
        expected.Count.ShouldBeInRange(2, harness.Options.MaxPapersPerMessage, "one message of several papers");

        var report = await harness.Notifier.RunAsync(Cancel);

        var delivery = report.For(key).ShouldNotBeNull();
        delivery.Outcome.ShouldBe(DeliveryOutcome.Sent);
        delivery.PapersSent.ShouldBe(expected.Count);
        var post = PostsTo("C0ALPHA").ShouldHaveSingleItem();
        post.Authorization.ShouldBe("Bearer xoxb-alpha");
        var json = post.Json;
        var blocks = json["blocks"]!.AsArray();
        blocks.Count.ShouldBe(1 + (3 * expected.Count));
        ((string?)blocks[0]!["type"]).ShouldBe("header");
        // Each paper: its section, its context, and the feedback buttons that send the feedback command back.
        var buttons = blocks.Where(block => (string?)block!["type"] == "actions").Select(block => block!["elements"]!.AsArray()).ToList();
        buttons.Count.ShouldBe(expected.Count);
        buttons.ShouldAllBe(pair => pair.Count == 2 && (string?)pair[0]!["action_id"] == BlockKitRenderer.CommandActionId
            && ((string)pair[0]!["value"]!).StartsWith("feedback like ", StringComparison.Ordinal) && ((string)pair[1]!["value"]!).StartsWith("feedback dislike ", StringComparison.Ordinal));
        ((string?)blocks[0]!["text"]!["text"]).ShouldBe($"{expected.Count} papers matched your rules");
        ((string?)json["text"]).ShouldStartWith($"{expected.Count} papers matched your rules: ");
        PaperIdsIn(blocks, papers).ShouldBe(expected, ignoreOrder: true);
        var receipts = await harness.Outbox.ListAsync(key, Cancel);
        receipts.Select(row => row.PaperId).ShouldBe(expected, ignoreOrder: true);
        receipts.ShouldAllBe(row => row.State == DeliveryState.Sent && row.ActivityId!.StartsWith("1503435956.", StringComparison.Ordinal));

        harness.Time.Advance(TimeSpan.FromMinutes(15));
        var again = await harness.Notifier.RunAsync(Cancel);

        again.For(key)!.Outcome.ShouldBe(DeliveryOutcome.NothingToSend);
        PostsTo("C0ALPHA").Count.ShouldBe(1);
    }

    [Fact]
    public async Task RunAsync_TwoWorkspaces_EachChannelGetsItsPapersWithItsOwnWorkspacesToken()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        await InstallAsync(harness, "beta");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0SHARED"), Rules);
        await SubscribeAsync(harness, new SlackConversation("TBETA", null, "C0SHARED"), Rules);

        await harness.Notifier.RunAsync(Cancel);

        PostsTo("C0SHARED").Select(post => post.Authorization).ShouldBe(["Bearer xoxb-alpha", "Bearer xoxb-beta"], ignoreOrder: true);
    }

    [Fact]
    public async Task RunAsync_TitleWithMentionLinkAndMarkup_ArrivesInert()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        var hostile = new Paper("2606.99999", "<!channel> <https://evil|x> *bold* agents", "An abstract <!here>.", ["<@U024BE7LH> Author"], 7, new DateOnly(2026, 6, 12));
        await harness.ObserveAsync([hostile], Morning.AddMinutes(-5), Cancel);
        await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0HOSTILE"), "title:bold");

        await harness.Notifier.RunAsync(Cancel);

        var json = PostsTo("C0HOSTILE").ShouldHaveSingleItem().Json;
        ((bool?)json["mrkdwn"]).ShouldBe(false);
        ((string?)json["text"]).ShouldBe("1 paper matched your rules: &lt;!channel&gt; &lt;https://evil|x&gt; *bold* agents");
        var section = json["blocks"]![1]!;
        ((string?)section["type"]).ShouldBe("section");
        ((string?)section["text"]!["type"]).ShouldBe("plain_text");
        ((string?)section["text"]!["text"]).ShouldBe("&lt;!channel&gt; &lt;https://evil|x&gt; *bold* agents");

        // Slack reads <...> as a mention or a link and *...* as bold only in mrkdwn: the one mrkdwn text is our own link.
        var mrkdwn = Texts(json["blocks"]!).Where(text => (string?)text["type"] == "mrkdwn").ShouldHaveSingleItem();
        ((string?)mrkdwn["text"]).ShouldBe("<https://huggingface.co/papers/2606.99999|Open on Hugging Face>");
        Texts(json["blocks"]!).Select(text => (string)text["text"]!).Where(text => text != (string?)mrkdwn["text"]).ShouldAllBe(text => !text.Contains('<') && !text.Contains('>'));
    }

    [Fact]
    public async Task RunAsync_ChannelNotFound_DeactivatesTheSubscriptionAndKeepsItsRulesAndPapers()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0GONE"), Rules);
        _slack.PlanError("chat.postMessage", "channel_not_found");

        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.Outcome.ShouldBe(DeliveryOutcome.Deactivated);
        var subscription = (await harness.Store.GetAsync(key, Cancel))!;
        subscription.Installed.ShouldBeFalse();
        subscription.Subscribed.ShouldBeTrue();
        (await harness.Store.ListRulesAsync(key, Cancel)).Select(rule => rule.Text).ShouldBe(Rules);
        (await harness.Outbox.ListPendingAsync(key, Cancel)).ShouldNotBeEmpty();
        (await Tokens(harness).GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxb-alpha", "a missing channel says nothing about the workspace");
    }

    [Fact]
    public async Task RunAsync_TokenRevoked_DeactivatesAndForgetsTheWorkspacesTokens()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0REVOKED"), Rules);
        _slack.PlanError("chat.postMessage", "token_revoked");

        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.Outcome.ShouldBe(DeliveryOutcome.Deactivated);
        (await Tokens(harness).GetAsync("TALPHA", null, Cancel)).ShouldBeNull();
        (await harness.Store.ListRulesAsync(key, Cancel)).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task RunAsync_WorkspaceWithoutInstallation_DeactivatesWithoutCallingSlack()
    {
        await using var harness = await StartAsync();
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await SubscribeAsync(harness, new SlackConversation("TNEVER", null, "C0NOWHERE"), Rules);

        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.Outcome.ShouldBe(DeliveryOutcome.Deactivated);
        _slack.Count("chat.postMessage").ShouldBe(0);
    }

    [Fact]
    public async Task RunAsync_InvalidAuthOfOneWorkspacesToken_LeavesItsPapersPendingAndTheOtherWorkspaceGetsItsOwn()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        await InstallAsync(harness, "beta");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var alpha = await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0AUTH"), Rules);
        var beta = await SubscribeAsync(harness, new SlackConversation("TBETA", null, "C0AUTH"), Rules);
        _slack.PlanError("chat.postMessage", "invalid_auth"); // whichever workspace is sent to first

        var report = await harness.Notifier.RunAsync(Cancel);

        // A workspace's own token is not the app's credential: the other workspace is not stopped, nothing deactivated.
        var results = new[] { report.For(alpha)!, report.For(beta)! };
        var refused = results.Where(result => result.Outcome == DeliveryOutcome.Failed).ShouldHaveSingleItem();
        refused.Failure.ShouldBe(DeliveryFailureKind.Transient);
        results.ShouldContain(result => result.Outcome == DeliveryOutcome.Sent);
        (await harness.Store.GetAsync(refused.Key, Cancel))!.Installed.ShouldBeTrue();
        (await harness.Outbox.ListPendingAsync(refused.Key, Cancel)).ShouldAllBe(row => row.Attempts == 1 && row.LastError!.Contains("invalid_auth"));
    }

    [Fact]
    public async Task RunAsync_SlackRefusesTheAppsSingleBotToken_StopsSlackSendsButNotTeams()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Slack:SigningSecret"] = SlackTestServices.SigningSecret,
            ["Slack:BotToken"] = "xoxb-single-workspace",
            ["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl.AbsoluteUri,
            ["Delivery:MaxConcurrentSends"] = "1",
        };
        await using var harness = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, settings);
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        // The workspace auth.test names for the token: the only one a single-workspace app sends to.
        var slackKey = await SubscribeAsync(harness, new SlackConversation("T0LOOPBACK", null, "C0AUTH"), Rules);

        // Sent after the Slack subscription (the run sends in key order), so a stop that spilled over would reach it.
        var teams = Enumerable.Range(0, 1000).Select(_ => "a:" + Guid.NewGuid().ToString("N"))
            .First(id => string.CompareOrdinal(ConversationKey.Create("msteams", Bot.Loopback.TestActivities.TenantId, id).PartitionKey, slackKey.PartitionKey) > 0);
        var teamsKey = await harness.SubscribeAsync(teams, DeliveryMode.Instant, Cancel, Rules);
        _slack.PlanError("chat.postMessage", "invalid_auth");

        var report = await harness.Notifier.RunAsync(Cancel);

        var slack = report.For(slackKey)!;
        slack.Failure.ShouldBe(DeliveryFailureKind.Unauthorized);
        (await harness.Store.GetAsync(slackKey, Cancel))!.Installed.ShouldBeTrue();
        (await harness.Outbox.ListPendingAsync(slackKey, Cancel)).ShouldAllBe(row => row.Attempts == 0, "the app's credential, not these papers");
        report.For(teamsKey)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
    }

    [Fact]
    public async Task RunAsync_RateLimitedWithRetryAfter_WaitsAndSends()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0BUSY"), Rules);
        _slack.Plan("chat.postMessage", 429, """{"ok":false,"error":"ratelimited"}""", retryAfter: "1");

        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        PostsTo("C0BUSY").Count.ShouldBe(2, "the 429, then the same message again");
        PostsTo("C0BUSY").Select(post => post.Body).Distinct().ShouldHaveSingleItem();
    }

    [Fact]
    public async Task RunAsync_RetryAfterLongerThanTheClientWaits_LeavesThePapersPendingForTheNextRun()
    {
        await using var harness = await StartAsync();
        await InstallAsync(harness, "alpha");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0SLOW"), Rules);
        _slack.Plan("chat.postMessage", 429, """{"ok":false,"error":"ratelimited"}""", retryAfter: "120");

        var report = await harness.Notifier.RunAsync(Cancel);

        report.For(key)!.Failure.ShouldBe(DeliveryFailureKind.Transient);
        (await harness.Outbox.ListPendingAsync(key, Cancel)).ShouldAllBe(row => row.Attempts == 1);
        harness.Time.Advance(harness.Options.PendingLease);
        (await harness.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
    }

    [Fact]
    public async Task RunAsync_ServerError_LeavesThePapersPendingAndTheSubscriptionActive()
    {
        await using var harness = await StartAsync(("Slack:MaxRetries", "0"));
        await InstallAsync(harness, "alpha");
        await harness.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var key = await SubscribeAsync(harness, new SlackConversation("TALPHA", null, "C0DOWN"), Rules);
        _slack.Plan("chat.postMessage", 503);

        var report = await harness.Notifier.RunAsync(Cancel);

        var delivery = report.For(key)!;
        delivery.Outcome.ShouldBe(DeliveryOutcome.Failed);
        delivery.Failure.ShouldBe(DeliveryFailureKind.Transient);
        (await harness.Store.GetAsync(key, Cancel))!.Installed.ShouldBeTrue();
        var pending = await harness.Outbox.ListPendingAsync(key, Cancel);
        pending.ShouldNotBeEmpty();
        pending.ShouldAllBe(row => row.Attempts == 1 && row.LastError!.Contains("http_503"));
    }

    [Fact]
    public async Task Split_SixtyPapers_MessagesWithinFiftyBlocksAndTheConfiguredCount()
    {
        await using var harness = await StartAsync();
        var messenger = harness.Services.GetServices<IPlatformMessenger>().OfType<SlackMessenger>().ShouldHaveSingleItem();
        var papers = Enumerable.Range(1, 60).Select(i => new MatchedPaper(new Paper($"2606.{i:D5}", $"Paper {i}", "An abstract.", ["Author"], 1, new DateOnly(2026, 6, 12)), ["agents"])).ToList();

        // A header, then three blocks a paper (section, context, feedback buttons): 16 papers fill 49 of the 50 blocks.
        messenger.Split("60 papers matched your rules", papers, 40).Select(part => part.Count).ShouldBe([16, 16, 16, 12]);
        messenger.Split("60 papers matched your rules", papers, 10).Select(part => part.Count).ShouldBe([10, 10, 10, 10, 10, 10]);
    }

    private async Task<DeliveryHarness> StartAsync(params (string Key, string? Value)[] overrides) =>
        await DeliveryHarness.StartAsync(azurite, Morning, Cancel, SlackTestServices.OAuthSettings(
            [("Slack:ApiBaseUrl", _slack.ApiBaseUrl.AbsoluteUri), ("Slack:RetryBaseDelay", "00:00:00.010"), .. overrides]));

    private static ISlackBotTokens Tokens(DeliveryHarness harness) => harness.Services.GetRequiredService<ISlackBotTokens>();

    // What the install endpoint does: the code exchanged at oauth.v2.access, the answer stored.
    private static async Task InstallAsync(DeliveryHarness harness, string code)
    {
        var access = await harness.Services.GetRequiredService<SlackWebApiClient>().ExchangeCodeAsync(code, null, Cancel);
        await harness.Services.GetRequiredService<SlackInstallationStore>().SaveAsync(access, Cancel);
    }

    // The rows the Slack front end writes for /digest subscribe and /digest add in a channel.
    private static async Task<ConversationKey> SubscribeAsync(DeliveryHarness harness, SlackConversation conversation, params string[] rules)
    {
        var key = SlackAddress.Key(conversation);
        await harness.Store.RecordContactAsync(key, SlackAddress.From(conversation), Cancel);
        await harness.Store.UpdateAsync(key, null, current => current with { Subscribed = true, Mode = DeliveryMode.Instant }, Cancel);
        foreach (var rule in rules)
        {
            await harness.Store.AddRuleAsync(key, rule, Cancel);
        }

        return key;
    }

    private List<SlackRequest> PostsTo(string channel) =>
        [.. _slack.All.Where(request => request.Path == "/api/chat.postMessage" && (string?)request.Json["channel"] == channel)];

    private static List<string> PaperIdsIn(JsonArray blocks, IReadOnlyList<Paper> papers) =>
        [.. papers.Where(paper => blocks.ToJsonString().Contains("/papers/" + paper.Id + "|", StringComparison.Ordinal)).Select(paper => paper.Id)];

    // Every text object of the blocks: section texts and context elements.
    private static IEnumerable<JsonObject> Texts(JsonNode blocks) =>
        blocks.AsArray().OfType<JsonObject>().SelectMany(block => block["text"] is JsonObject text
            ? [text]
            : block["elements"]?.AsArray().OfType<JsonObject>().Select(element => (string?)element["type"] == "button" ? element["text"]!.AsObject() : element) ?? []);
}
