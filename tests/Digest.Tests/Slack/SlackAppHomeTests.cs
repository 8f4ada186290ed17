using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Digest.Delivery;
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

    private async Task<JsonObject> SubmitAsync(string callbackId, string input, string value, string privateMetadata = "")
    {
        using var response = await InteractAsync(SlackPayloads.ViewSubmission(Team, _user, callbackId, input, value, privateMetadata));
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject();
    }

    private static string NewChannel() => "C" + Guid.NewGuid().ToString("N")[..10].ToUpperInvariant();

    private static ConversationKey ChannelKey(string channel, string team = Team) => SlackAddress.Key(new SlackConversation(team, null, channel));

    /// <summary>Types <c>/digest</c> in a channel, as the person; waits for the answer.</summary>
    private async Task CommandInChannelAsync(string channel, string text, string? user = null)
    {
        using var response = await _client.CommandAsync(Team, channel, user ?? _user, text, _slack.NewResponseUrl(), Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>Opens the Home tab; returns the Home published.</summary>
    private async Task<JsonObject> OpenHomeAsync()
    {
        var before = _slack.PublishedViews.Count;
        using var response = await _client.EventAsync(SlackPayloads.Envelope(Team, SlackPayloads.AppHomeOpened(_user, "D0" + _user)), Cancel);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return (await _slack.WaitForAsync("/api/views.publish", before + 1, Cancel))[before].Json["view"]!.AsObject();
    }

    // The buttons of one subscription's part of the Home: its own actions block and its rules' Remove buttons.
    private static List<JsonObject> ButtonsFor(JsonObject home, string channel) =>
        [.. Buttons(home).Where(button => ((string)button["value"]!).StartsWith(channel + "|", StringComparison.Ordinal))];

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
        (await _bot.Services.GetRequiredService<DeliveryOutbox>().ListAsync(Personal, Cancel)).ShouldHaveSingleItem().State.ShouldBe(DeliveryState.Sent);
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

    [Fact]
    public async Task Home_ListsTheChannelsThePersonUsedDigestIn_WithTheirStateAndRules()
    {
        var (research, other) = (NewChannel(), NewChannel());
        await CommandInChannelAsync(research, "subscribe");
        await CommandInChannelAsync(research, "add diffusion");
        await CommandInChannelAsync(other, "add agents", user: "U0SOMEONEELSE");

        var home = await OpenHomeAsync();

        // Unescaped, so that the channel's mention reads as Slack reads it.
        var text = home.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        text.ShouldContain("*Your own alerts*");
        text.ShouldContain($"*<#{research}>*");
        text.ShouldContain("Subscribed: papers matching its rules are posted in the channel.");
        text.ShouldContain("1. diffusion");
        text.ShouldNotContain(other); // used by someone else only
        text.ShouldNotContain("agents");
        ButtonsFor(home, research).Select(button => (string)button["text"]!["text"]!).ShouldBe(["Unsubscribe", "Pause", "Change mode", "Send digest now", "Add a rule", "Remove"]);
    }

    [Fact]
    public async Task ChannelButtonsFromTheHome_ManageTheChannelsSubscription_NotThePersons()
    {
        var channel = NewChannel();
        await CommandInChannelAsync(channel, "subscribe");
        await CommandInChannelAsync(channel, "add diffusion");
        await CommandInChannelAsync(channel, "add agents");
        var home = await OpenHomeAsync();

        var pause = ButtonsFor(home, channel).Single(button => (string)button["text"]!["text"]! == "Pause");
        home = await ClickAsync((string)pause["action_id"]!, (string)pause["value"]!);
        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Paused.ShouldBeTrue();
        (await Store.GetAsync(Personal, Cancel)).ShouldBeNull();
        home.ToJsonString().ShouldContain("Subscribed, paused: nothing is posted until someone resumes.");

        var removeDiffusion = ButtonsFor(home, channel).First(button => (string)button["text"]!["text"]! == "Remove");
        home = await ClickAsync((string)removeDiffusion["action_id"]!, (string)removeDiffusion["value"]!);
        (await Store.ListRulesAsync(ChannelKey(channel), Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);
        home.ToJsonString().ShouldContain("1. agents");

        var resume = ButtonsFor(home, channel).Single(button => (string)button["text"]!["text"]! == "Resume");
        await ClickAsync((string)resume["action_id"]!, (string)resume["value"]!);
        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Active.ShouldBeTrue();
    }

    [Fact]
    public async Task ChannelModalsFromTheHome_AddARuleAndChangeTheModeOfTheChannel()
    {
        var channel = NewChannel();
        await CommandInChannelAsync(channel, "subscribe");
        var home = await OpenHomeAsync();

        var add = ButtonsFor(home, channel).Single(button => (string)button["text"]!["text"]! == "Add a rule");
        using (await InteractAsync(SlackPayloads.HomeAction(Team, _user, (string)add["action_id"]!, (string)add["value"]!)))
        {
        }

        var modal = _slack.OpenedViews.ShouldHaveSingleItem().Json["view"]!;
        ((string)modal["private_metadata"]!).ShouldBe(channel);
        var answer = await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "title:(diffusion", channel);
        ((string)answer["errors"]![SlackHomeView.RuleInput]!).ShouldBe(RuleParser.Parse("title:(diffusion").Error!.Text);
        answer = await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "agents", channel);
        ((string)answer["response_action"]!).ShouldBe("update");
        (await Store.ListRulesAsync(ChannelKey(channel), Cancel)).Select(rule => rule.Text).ShouldBe(["agents"]);
        (await Store.ListRulesAsync(Personal, Cancel)).ShouldBeEmpty();

        (await SubmitAsync(SlackHomeView.ModeCallback, SlackHomeView.ModeInput, "daily 09:00 UTC", channel)).ShouldBeEmpty();
        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Mode.ShouldBe(new DeliveryMode(DeliveryCadence.Daily, new TimeOnly(9, 0), "UTC"));
        (await Store.GetAsync(Personal, Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task HomeActionOnAChannelThePersonNeverUsed_IsRefusedAndChangesNothing()
    {
        var channel = NewChannel();
        await CommandInChannelAsync(channel, "subscribe", user: "U0SOMEONEELSE");
        await CommandInChannelAsync(channel, "add diffusion", user: "U0SOMEONEELSE");
        var rule = (await Store.ListRulesAsync(ChannelKey(channel), Cancel)).Single();

        // Values Slack would never send this person: made up, or from another person's Home.
        using (await InteractAsync(SlackPayloads.HomeAction(Team, _user, SlackHomeView.CommandAction, SlackHomeView.ActionValue(channel, "pause"))))
        using (await InteractAsync(SlackPayloads.HomeAction(Team, _user, SlackHomeView.CommandAction, SlackHomeView.ActionValue(channel, "remove id:" + rule.RowKey))))
        using (await InteractAsync(SlackPayloads.HomeAction(Team, _user, SlackHomeView.ModeAction, SlackHomeView.ActionValue(channel, "mode"))))
        {
        }

        (await SubmitAsync(SlackHomeView.AddRuleCallback, SlackHomeView.RuleInput, "agents", channel)).ShouldBeEmpty();
        (await SubmitAsync(SlackHomeView.ModeCallback, SlackHomeView.ModeInput, "daily 09:00 UTC", channel)).ShouldBeEmpty();

        var subscription = (await Store.GetAsync(ChannelKey(channel), Cancel))!;
        subscription.Active.ShouldBeTrue();
        subscription.Mode.ShouldBe(DeliveryMode.Instant);
        (await Store.ListRulesAsync(ChannelKey(channel), Cancel)).Select(stored => stored.Text).ShouldBe(["diffusion"]);
        _slack.OpenedViews.ShouldBeEmpty();
        _slack.PublishedViews.ShouldBeEmpty();
    }

    [Fact]
    public async Task HomeActionFromAnotherWorkspace_CannotReachAChannelManagedInThisOne()
    {
        var channel = NewChannel();
        await CommandInChannelAsync(channel, "subscribe");

        // The same person id and channel id, but signed as a request from another workspace the app is not even
        // installed in: the action is for that workspace's channel, which this person never used.
        using (await InteractAsync(SlackPayloads.HomeAction("T0OTHERTEAM", _user, SlackHomeView.CommandAction, SlackHomeView.ActionValue(channel, "pause"))))
        {
        }

        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Active.ShouldBeTrue();
        (await Store.GetAsync(ChannelKey(channel, "T0OTHERTEAM"), Cancel)).ShouldBeNull();
    }

    [Fact]
    public async Task HideFromMyHome_TakesTheChannelOffUntilTheNextUseAndLeavesItsSubscription()
    {
        var channel = NewChannel();
        await CommandInChannelAsync(channel, "subscribe");
        var home = await OpenHomeAsync();
        var hide = Buttons(home).Single(button => (string)button["text"]!["text"]! == "Hide from my Home");
        ((string)hide["value"]!).ShouldBe(channel);

        home = await ClickAsync((string)hide["action_id"]!, (string)hide["value"]!);

        home.ToJsonString().ShouldNotContain(channel);
        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Active.ShouldBeTrue();
        // No longer managed from the Home: its buttons there do nothing now.
        using (await InteractAsync(SlackPayloads.HomeAction(Team, _user, SlackHomeView.CommandAction, SlackHomeView.ActionValue(channel, "pause"))))
        {
        }

        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Active.ShouldBeTrue();

        await CommandInChannelAsync(channel, "status");
        (await OpenHomeAsync()).ToJsonString().ShouldContain(channel);
    }

    [Fact]
    public async Task PersonLeavesTheChannel_ItLeavesTheirHomeAndKeepsItsSubscription()
    {
        var channel = NewChannel();
        var stays = NewChannel();
        await CommandInChannelAsync(channel, "subscribe");
        await CommandInChannelAsync(stays, "subscribe");
        (await OpenHomeAsync()).ToJsonString().ShouldContain(channel);

        using (var left = await _client.EventAsync(SlackPayloads.Envelope(Team, SlackPayloads.MemberLeftChannel(Team, _user, channel)), Cancel))
        {
            left.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var home = (await OpenHomeAsync()).ToJsonString();
        home.ShouldNotContain(channel);
        home.ShouldContain(stays);
        (await Store.GetAsync(ChannelKey(channel), Cancel))!.Active.ShouldBeTrue();
        // Someone else leaving a channel changes nothing on this person's Home.
        using (var other = await _client.EventAsync(SlackPayloads.Envelope(Team, SlackPayloads.MemberLeftChannel(Team, "U0SOMEONE", stays)), Cancel))
        {
            other.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await OpenHomeAsync()).ToJsonString().ShouldContain(stays);
    }
}
