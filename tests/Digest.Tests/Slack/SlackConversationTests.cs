using System.Net;
using System.Text.Json.Nodes;
using Digest.Papers;
using Digest.Platforms.Slack;
using Digest.Rules;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Every command end to end through signed slash commands, on the real bot, Azurite and a loopback Slack that
/// records what the app sends; the same subscription data model as Teams; no workspace reaches another's rules.</summary>
public sealed class SlackConversationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Fixture = "api_daily_papers_2026-06-12_sotawhat.json";
    private const string Team = SlackTestSettings.Team;
    private const string User = "U0ALICE";

    private LoopbackSlack _slack = null!;
    private BotTestHost _bot = null!;
    private SlackTestClient _client = null!;
    private IReadOnlyList<Paper> _papers = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SubscriptionStore Store => _bot.Services.GetRequiredService<SubscriptionStore>();

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(SlackTestSettings.Configuration(_slack, azurite.ConnectionString), Cancel);
        _client = new SlackTestClient(_bot.Client, SlackTestSettings.SigningSecret);
        var now = TimeProvider.System.GetUtcNow();
        _papers = await PaperSeeder.SeedAsync(_bot.Services.GetRequiredService<DigestStorage>(), TestData.HfPapers(Fixture),
            DateOnly.FromDateTime(now.UtcDateTime), now.AddHours(-1), Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static string NewChannel() => "C" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    private static ConversationKey Key(string conversation, string team = Team) => SlackAddress.Key(new SlackConversation(team, null, conversation));

    /// <summary>Types <c>/digest {text}</c>; returns the ephemeral answer.</summary>
    private async Task<JsonObject> CommandAsync(string channel, string text, string team = Team, string user = User)
    {
        using var response = await _client.CommandAsync(team, channel, user, text, _slack.NewResponseUrl(), Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!.AsObject();
        ((string?)answer["response_type"]).ShouldBe("ephemeral");
        return answer;
    }

    private static string Text(JsonObject answer) => (string)answer["text"]!;

    private static string Blocks(JsonObject answer) => answer["blocks"]!.ToJsonString();

    [Fact]
    public async Task Help_ListsEveryCommandWithButtons()
    {
        var answer = await CommandAsync(NewChannel(), "help");

        Text(answer).ShouldBe("What I can do");
        var blocks = answer["blocks"]!.AsArray();
        Blocks(answer).ShouldContain("/digest mode daily 08:30 Europe/Berlin");
        var buttons = blocks.Last()!["elements"]!.AsArray();
        buttons.Select(button => (string)button!["value"]!).ShouldBe(["help", "subscribe", "rules", "digest", "status"]);
        buttons.ShouldAllBe(button => (string)button!["action_id"]! == "digest.command");
    }

    [Fact]
    public async Task SubscribeUnsubscribe_SameDataModelAsTeams()
    {
        var channel = NewChannel();

        Text(await CommandAsync(channel, "subscribe")).ShouldStartWith("Subscribed (mode instant)");

        var subscription = await Store.GetAsync(Key(channel), Cancel);
        subscription!.Subscribed.ShouldBeTrue();
        subscription.Installed.ShouldBeTrue();
        subscription.Key.ChannelId.ShouldBe(SlackAddress.ChannelId);
        subscription.Address.Platform.ShouldBe(ConversationPlatforms.Slack);
        SlackAddress.Read(subscription.Address).ShouldBe(new SlackConversation(Team, null, channel));
        (await Store.ListActiveAsync(Cancel).ToListAsync(Cancel)).ShouldContain(active => active.Key == Key(channel));

        Text(await CommandAsync(channel, "unsubscribe")).ShouldStartWith("Unsubscribed");
        (await Store.GetAsync(Key(channel), Cancel))!.Subscribed.ShouldBeFalse();
    }

    [Fact]
    public async Task DirectMessageCommand_IsThePersonsOwnSubscription()
    {
        await CommandAsync("D0ALICEDM", "subscribe");

        (await Store.GetAsync(Key(User), Cancel))!.Subscribed.ShouldBeTrue();
        (await Store.GetAsync(Key("D0ALICEDM"), Cancel)).ShouldBeNull();
    }

    [Theory]
    [InlineData("titel:agents")]
    [InlineData("title:(diffusion")]
    [InlineData("agents AND")]
    public async Task Add_InvalidRule_ShowsTheParsersMessageAndPositionAndStoresNothing(string rule)
    {
        var channel = NewChannel();
        var error = RuleParser.Parse(rule).Error!;

        var answer = await CommandAsync(channel, "add " + rule);

        Text(answer).ShouldBe(BlockKitRenderer.Escape("That rule has a problem: " + error.Text));
        error.Text.ShouldContain($"at {error.Position}");
        (await Store.ListRulesAsync(Key(channel), Cancel)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Add_ValidRule_StoresItAndPreviewsTheWeeksMatches()
    {
        var channel = NewChannel();
        const string rule = "agents";
        var listed = _papers.OrderByDescending(paper => paper.Upvotes).ThenBy(paper => paper.Id, StringComparer.Ordinal).ToList();
        var expected = RulePreview.Run(rule, listed).Matches;
        expected.Count.ShouldBeGreaterThan(3, "the fixture must have enough matches for the test to mean something");

        var answer = await CommandAsync(channel, "add " + rule);

        Text(answer).ShouldContain($"it would have matched {expected.Count} papers");
        var blocks = answer["blocks"]!.AsArray();
        var titles = blocks.Where(block => (string?)block!["type"] == "section").Skip(1).Select(block => (string)block!["text"]!["text"]!).ToList();
        titles.ShouldBe(expected.Take(3).Select(match => BlockKitRenderer.Escape(match.Paper.Title)));
        Blocks(answer).ShouldContain($"and {expected.Count - 3} more");
        (await Store.ListRulesAsync(Key(channel), Cancel)).Select(stored => stored.Text).ShouldBe([rule]);
    }

    [Fact]
    public async Task RulesAndRemove_ByNumberAndByButton()
    {
        var channel = NewChannel();
        await CommandAsync(channel, "add agents");
        await CommandAsync(channel, "add diffusion");
        await CommandAsync(channel, "add robots");

        var rules = await CommandAsync(channel, "rules");
        var rows = rules["blocks"]!.AsArray().Where(block => block!["accessory"] is not null).ToList();
        rows.Select(row => (string)row!["text"]!["text"]!).ShouldBe(["1. agents", "2. diffusion", "3. robots"]);
        var removeSecond = (string)rows[1]!["accessory"]!["value"]!;
        removeSecond.ShouldStartWith("remove id:");

        Text(await CommandAsync(channel, "remove 1")).ShouldBe("Removed rule 1: agents");
        Text(await CommandAsync(channel, removeSecond)).ShouldBe("Removed rule 1: diffusion"); // numbered as it was then
        Text(await CommandAsync(channel, removeSecond)).ShouldBe("That rule was already removed.");
        Text(await CommandAsync(channel, "remove 7")).ShouldBe("There is no rule 7; this conversation has 1 rule.");
        (await Store.ListRulesAsync(Key(channel), Cancel)).Select(rule => rule.Text).ShouldBe(["robots"]);
    }

    [Fact]
    public async Task PauseResume_ChangeOnlyThePause()
    {
        var channel = NewChannel();
        await CommandAsync(channel, "subscribe");

        Text(await CommandAsync(channel, "pause")).ShouldStartWith("Paused");
        (await Store.GetAsync(Key(channel), Cancel))!.Active.ShouldBeFalse();
        Text(await CommandAsync(channel, "resume")).ShouldStartWith("Resumed: papers matching");
        (await Store.GetAsync(Key(channel), Cancel))!.Active.ShouldBeTrue();
    }

    [Fact]
    public async Task Mode_DailyAndInstantAndInvalid()
    {
        var channel = NewChannel();

        Text(await CommandAsync(channel, "mode daily 08:30 Europe/Berlin")).ShouldBe("Mode set: one digest a day at 08:30 (Europe/Berlin).");
        (await Store.GetAsync(Key(channel), Cancel))!.Mode.ShouldBe(new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 30), "Europe/Berlin"));
        Text(await CommandAsync(channel, "mode daily 25:00 UTC")).ShouldContain("is not a time of day");
        Text(await CommandAsync(channel, "mode daily 08:30 Mars/Olympus")).ShouldContain("Unknown time zone");
        Text(await CommandAsync(channel, "mode instant")).ShouldBe("Mode set: papers are sent as soon as they are found.");
        (await Store.GetAsync(Key(channel), Cancel))!.Mode.ShouldBe(DeliveryMode.Instant);
    }

    [Fact]
    public async Task Digest_WithoutRules_SaysSo()
    {
        Text(await CommandAsync(NewChannel(), "digest")).ShouldStartWith("No rules yet");
    }

    [Fact]
    public async Task Digest_NothingNewSinceLastDelivery_SaysSo()
    {
        var channel = NewChannel();
        await CommandAsync(channel, "subscribe");
        await CommandAsync(channel, "add zzzqqqxxyy");

        Text(await CommandAsync(channel, "digest")).ShouldStartWith("Nothing new matched your rules since");
    }

    [Fact]
    public async Task Status_ShowsTheSubscriptionAndTheCrawl()
    {
        var channel = NewChannel();
        await CommandAsync(channel, "subscribe");
        await CommandAsync(channel, "add agents");

        var answer = await CommandAsync(channel, "status");

        Text(answer).ShouldBe("Status");
        var fields = answer["blocks"]![1]!["fields"]!.AsArray().Select(field => (string)field!["text"]!).ToList();
        fields.ShouldContain("This conversation: subscribed");
        fields.ShouldContain("Rules: 1");
        fields.ShouldContain("Mode: instant");
        fields.ShouldContain(field => field.StartsWith("Papers today: ", StringComparison.Ordinal) && field != "Papers today: 0");
    }

    [Fact]
    public async Task Unknown_EchoesTheTextInertly()
    {
        var answer = await CommandAsync(NewChannel(), "frobnicate <!channel> <https://evil.example|x> *bold*");

        Text(answer).ShouldNotContain("<!channel>");
        Text(answer).ShouldContain("&lt;!channel&gt;");
        // Styled text is a rich_text block, whose text elements are shown as they are: no mrkdwn anywhere.
        Blocks(answer).ShouldNotContain("mrkdwn");
        answer["blocks"]![0]!["type"]!.GetValue<string>().ShouldBe("rich_text");
    }

    [Fact]
    public async Task SlowCommand_AnsweredWorkingOnIt_ReplyGoesThroughTheResponseUrl()
    {
        var configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        configuration["Slack:ReplyWithin"] = "00:00:00"; // as if every command took longer than Slack waits
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel);
        var client = new SlackTestClient(bot.Client, SlackTestSettings.SigningSecret);
        var responseUrl = _slack.NewResponseUrl();

        using var response = await client.CommandAsync(Team, NewChannel(), User, "subscribe", responseUrl, Cancel);
        var posted = (await _slack.WaitForAsync("/commands/", 1, Cancel)).Single();

        ((string)JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!["text"]!).ShouldBe("Working on it…");
        posted.Path.ShouldBe(new Uri(responseUrl).AbsolutePath);
        posted.Authorization.ShouldBeNull(); // the URL is the credential
        ((string)posted.Json["response_type"]!).ShouldBe("ephemeral");
        ((string)posted.Json["text"]!).ShouldStartWith("Subscribed");
    }

    [Fact]
    public async Task Workspaces_CannotReadOrChangeEachOthersRules()
    {
        var channel = NewChannel(); // the same channel id in two workspaces
        await CommandAsync(channel, "add agents", team: "T0AAAAAAA");
        var rules = await CommandAsync(channel, "rules", team: "T0AAAAAAA");
        var removeA = (string)rules["blocks"]!.AsArray().First(block => block!["accessory"] is not null)!["accessory"]!["value"]!;

        Text(await CommandAsync(channel, "rules", team: "T0BBBBBBB")).ShouldBe("No rules yet");
        Text(await CommandAsync(channel, removeA, team: "T0BBBBBBB")).ShouldBe("That rule was already removed.");
        Text(await CommandAsync(channel, "remove 1", team: "T0BBBBBBB")).ShouldStartWith("There is no rule 1");

        (await Store.ListRulesAsync(Key(channel, "T0AAAAAAA"), Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);
    }

    [Fact]
    public async Task Slack_CannotReadOrChangeATeamsConversationsRules()
    {
        // A Teams conversation whose ids are the Slack request's team and channel, written as the Teams front end does.
        var channel = NewChannel();
        var teams = ConversationKey.Create("msteams", Team, channel);
        await Store.RecordContactAsync(teams, new ConversationAddress(ConversationPlatforms.BotFramework, "{}"), Cancel);
        var teamsRule = await Store.AddRuleAsync(teams, "diffusion", Cancel);

        Text(await CommandAsync(channel, "rules")).ShouldBe("No rules yet");
        Text(await CommandAsync(channel, "remove id:" + teamsRule!.RowKey)).ShouldBe("That rule was already removed.");
        Text(await CommandAsync(channel, "remove 1")).ShouldStartWith("There is no rule 1");

        (await Store.ListRulesAsync(teams, Cancel)).Select(rule => rule.Text).ShouldBe(["diffusion"]);
    }
}
