using System.Net;
using System.Text.Json.Nodes;
using Digest.FrontEnds.Slack;
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

/// <summary>Every App Home action end to end: buttons (subscribe, pause, resume, remove a rule, send the digest), the
/// add-rule modal (the parser's error inline, the preview after adding) and the mode modal, through signed interaction
/// requests, with the views the app opens and publishes recorded by the loopback Slack. Buttons in messages answer
/// through the response_url.</summary>
public sealed class SlackAppHomeTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Fixture = "api_daily_papers_2026-06-12_sotawhat.json";
    private const string Team = SlackTestSettings.Team;

    private readonly string _user = "U" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
    private LoopbackSlack _slack = null!;
    private BotTestHost _bot = null!;
    private SlackTestClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SubscriptionStore Store => _bot.Services.GetRequiredService<SubscriptionStore>();

    private ConversationKey Personal => SlackAddress.Key(new SlackConversation(Team, null, _user));

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(SlackTestSettings.Configuration(_slack, azurite.ConnectionString), Cancel);
        _client = new SlackTestClient(_bot.Client, SlackTestSettings.SigningSecret);
        var now = TimeProvider.System.GetUtcNow();
        await PaperSeeder.SeedAsync(_bot.Services.GetRequiredService<DigestStorage>(), TestData.HfPapers(Fixture), DateOnly.FromDateTime(now.UtcDateTime), now.AddHours(-1), Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private async Task<HttpResponseMessage> InteractAsync(JsonObject payload)
    {
        var response = await _client.InteractionAsync(payload, Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return response;
    }

    /// <summary>Clicks a Home button; returns the Home published after it.</summary>
    private async Task<JsonObject> ClickAsync(string actionId, string value)
    {
        var before = _slack.PublishedViews.Count;
        using var response = await InteractAsync(SlackPayloads.HomeAction(Team, _user, actionId, value));
        var published = await _slack.WaitForAsync("/api/views.publish", before + 1, Cancel);
        return published[before].Json["view"]!.AsObject();
    }

    private async Task<JsonObject> SubmitAsync(string callbackId, string input, string value)
    {
        using var response = await InteractAsync(SlackPayloads.ViewSubmission(Team, _user, callbackId, input, value));
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }

    private static List<JsonObject> Buttons(JsonObject home) =>
        [.. home["blocks"]!.AsArray().SelectMany(block => block!["elements"] is JsonArray elements ? [.. elements] : new List<JsonNode?> { block["accessory"] })
            .OfType<JsonObject>().Where(element => (string?)element["type"] == "button")];

    private static JsonObject Button(JsonObject home, string label) =>
        Buttons(home).Single(button => (string)button["text"]!["text"]! == label);

    [Fact]
    public async Task Home_WithALimit_ShowsItAndWithoutOneDoesNot()
    {
        var home = await ClickAsync(SlackHomeView.CommandAction, "limit 5");
        home.ToJsonString().ShouldContain("Limit: 5 papers a delivery, the rest behind Show more");

        home = await ClickAsync(SlackHomeView.CommandAction, "limit off");
        home.ToJsonString().ShouldNotContain("Limit:");
    }

    [Fact]
    public async Task SubscribePauseResumeUnsubscribe_FromHomeButtons()
    {
        var home = await ClickAsync(SlackHomeView.CommandAction, "subscribe");
        (await Store.GetAsync(Personal, Cancel))!.Active.ShouldBeTrue();
        Button(home, "Unsubscribe"); // the Home shows the new state
        var pause = Button(home, "Pause");

        home = await ClickAsync((string)pause["action_id"]!, (string)pause["value"]!);
        (await Store.GetAsync(Personal, Cancel))!.Paused.ShouldBeTrue();
        var resume = Button(home, "Resume");

        home = await ClickAsync((string)resume["action_id"]!, (string)resume["value"]!);
        (await Store.GetAsync(Personal, Cancel))!.Active.ShouldBeTrue();

        var unsubscribe = Button(home, "Unsubscribe");
        home = await ClickAsync((string)unsubscribe["action_id"]!, (string)unsubscribe["value"]!);
        (await Store.GetAsync(Personal, Cancel))!.Subscribed.ShouldBeFalse();
        Button(home, "Subscribe");
    }

    [Fact]
    public async Task AddRuleButton_OpensTheModal()
    {
        using var response = await InteractAsync(SlackPayloads.HomeAction(Team, _user, SlackHomeView.AddRuleAction, "add"));

        var opened = _slack.OpenedViews.Single();
        opened.Authorization.ShouldBe("Bearer xoxb-loopback-single-workspace");
        ((string)opened.Json["trigger_id"]!).ShouldStartWith("13345224609.");
        ((string)opened.Json["view"]!["callback_id"]!).ShouldBe(SlackHomeView.AddRuleCallback);
        ((string)opened.Json["view"]!["blocks"]![0]!["block_id"]!).ShouldBe(SlackHomeView.RuleInput);
    }

    [Theory]
    [InlineData("titel:agents")]
    [InlineData("title:(diffusion")]
    public async Task AddRuleModal_InvalidRule_ShowsTheParsersErrorUnderTheInput(string rule)
    {
        var answer = await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, rule);

        ((string)answer["response_action"]!).ShouldBe("errors");
        ((string)answer["errors"]![SlackHomeView.RuleInput]!).ShouldBe(RuleParser.Parse(rule).Error!.Text);
        (await Store.ListRulesAsync(Personal, Cancel)).ShouldBeEmpty();
        _slack.PublishedViews.ShouldBeEmpty();
    }

    [Fact]
    public async Task AddRuleModal_ValidRule_AddsItShowsThePreviewAndRefreshesTheHome()
    {
        var answer = await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "agents");

        ((string)answer["response_action"]!).ShouldBe("update");
        var view = answer["view"]!;
        ((string)view["type"]!).ShouldBe("modal");
        ((string)view["blocks"]![0]!["text"]!["text"]!).ShouldContain("Rule 1 added: agents. Among the papers first seen in the last 7 days it would have matched");
        view["blocks"]!.AsArray().Count.ShouldBeGreaterThan(1); // the matched papers
        (await Store.ListRulesAsync(Personal, Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);
        var home = (await _slack.WaitForAsync("/api/views.publish", 1, Cancel))[0].Json["view"]!;
        home.ToJsonString().ShouldContain("1. agents");
    }

    [Fact]
    public async Task RemoveButton_RemovesThatRule()
    {
        await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "agents");
        await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "diffusion");
        // Each add publishes the Home after answering; the two may arrive in either order, and both may already list
        // both rules (each publish reads the rules when it runs).
        var home = (await _slack.WaitForAsync("/api/views.publish", 2, Cancel)).Select(call => call.Json["view"]!.AsObject()).First(view => view.ToJsonString().Contains("2. diffusion", StringComparison.Ordinal));
        var removeAgents = Buttons(home).Where(button => (string)button["text"]!["text"]! == "Remove").First();

        home = await ClickAsync((string)removeAgents["action_id"]!, (string)removeAgents["value"]!);

        (await Store.ListRulesAsync(Personal, Cancel)).Select(rule => rule.Text).ShouldBe(["diffusion"]);
        home.ToJsonString().ShouldContain("1. diffusion");
        home.ToJsonString().ShouldNotContain("agents");
    }

    [Fact]
    public async Task ModeButton_OpensTheModalWithTheCurrentMode()
    {
        await ClickAsync(SlackHomeView.CommandAction, "subscribe");
        await SubmitAsync(SlackHomeView.ModeCallback, SlackHomeView.ModeInput, "daily 07:15 UTC");

        using var response = await InteractAsync(SlackPayloads.HomeAction(Team, _user, SlackHomeView.ModeAction, "mode"));

        var view = _slack.OpenedViews.Single().Json["view"]!;
        ((string)view["callback_id"]!).ShouldBe(SlackHomeView.ModeCallback);
        ((string)view["blocks"]![0]!["element"]!["initial_value"]!).ShouldBe("daily 07:15 UTC");
    }

    [Theory]
    [InlineData("weekly", "Usage: mode instant")]
    [InlineData("daily 25:00 UTC", "is not a time of day")]
    [InlineData("daily 08:00 Mars/Olympus", "Unknown time zone")]
    public async Task ModeModal_InvalidMode_ShowsTheErrorUnderTheInput(string mode, string expected)
    {
        var answer = await SubmitAsync(SlackHomeView.ModeCallback, SlackHomeView.ModeInput, mode);

        ((string)answer["response_action"]!).ShouldBe("errors");
        ((string)answer["errors"]![SlackHomeView.ModeInput]!).ShouldContain(expected);
        (await Store.GetAsync(Personal, Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task ModeModal_ValidMode_SavesItClosesTheModalAndRefreshesTheHome()
    {
        var answer = await SubmitAsync(SlackHomeView.ModeCallback, SlackHomeView.ModeInput, "daily 08:30 Europe/Berlin");

        answer.ShouldBeEmpty(); // an empty answer closes the modal
        (await Store.GetAsync(Personal, Cancel))!.Mode.ShouldBe(new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(8, 30), "Europe/Berlin"));
        (await _slack.WaitForAsync("/api/views.publish", 1, Cancel))[0].Json["view"]!.ToJsonString().ShouldContain("Mode: daily 08:30 Europe/Berlin");
    }

    [Fact]
    public async Task DigestButton_SendsThePersonTheirMatches()
    {
        await ClickAsync(SlackHomeView.CommandAction, "subscribe");
        await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "webchallenger");

        await ClickAsync(SlackHomeView.CommandAction, "digest");

        var sent = (await _slack.WaitForAsync("/api/chat.postMessage", 1, Cancel)).ShouldHaveSingleItem().Json;
        ((string)sent["channel"]!).ShouldBe(_user);
        sent["blocks"]!.ToJsonString().ShouldContain("WebChallenger");
        (await Store.GetAsync(Personal, Cancel))!.PapersDelivered.ShouldBe(1);
    }

    [Fact]
    public async Task MessageButton_AnswersThroughTheResponseUrl()
    {
        var channel = "C" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();
        var responseUrl = _slack.NewResponseUrl();

        using var response = await InteractAsync(SlackPayloads.MessageAction(Team, _user, channel, SlackReplyRenderer.CommandAction, "subscribe", responseUrl));
        var posted = (await _slack.WaitForAsync("/commands/", 1, Cancel)).Single();

        posted.Path.ShouldBe(new Uri(responseUrl).AbsolutePath);
        ((string)posted.Json["text"]!).ShouldStartWith("Subscribed");
        (await Store.GetAsync(SlackAddress.Key(new SlackConversation(Team, null, channel)), Cancel))!.Subscribed.ShouldBeTrue();
    }
}
