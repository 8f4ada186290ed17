using System.Net;
using System.Text.Json.Nodes;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Each platform is enabled by its own settings: a Slack-only bot starts without any <c>Bot:*</c> setting, a
/// Teams-only one without <c>Slack:*</c>, and both run side by side; Slack through Azure Bot Service keeps arriving on
/// <c>/api/messages</c>.</summary>
public sealed class BotPlatformStartupTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private LoopbackSlack _slack = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
        _slack = await LoopbackSlack.StartAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _slack.DisposeAsync();
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    private async Task<HttpStatusCode> TeamsHelpAsync(BotTestHost bot)
    {
        using var response = await bot.PostAsync(TestActivities.Message(_identity.AppId, _connector.ServiceUrl, TestActivities.PersonalConversationId(), "help").ToJsonString(),
            _identity.ChannelToken(_connector.ServiceUrl), Cancel);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> SlackHelpAsync(BotTestHost bot)
    {
        using var response = await new SlackTestClient(bot.Client, SlackTestSettings.SigningSecret).CommandAsync(SlackTestSettings.Team, "C0STARTUP", "U0SOMEONE", "help", null, Cancel);
        return response.StatusCode;
    }

    [Fact]
    public async Task SlackOnly_StartsInProductionWithoutAnyBotSetting()
    {
        var configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        configuration.Keys.ShouldNotContain(key => key.StartsWith("Bot:", StringComparison.OrdinalIgnoreCase));

        await using var bot = await BotTestHost.StartAsync(configuration, Cancel, environment: "Production");

        (await SlackHelpAsync(bot)).ShouldBe(HttpStatusCode.OK);
        using var messages = await bot.PostAsync("{\"type\":\"message\"}", null, Cancel);
        messages.StatusCode.ShouldBe(HttpStatusCode.NotFound); // no Teams endpoint, so nothing unauthenticated either
        using var ready = await bot.Client.GetAsync("readyz", Cancel);
        ready.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TeamsOnly_StartsWithoutAnySlackSetting()
    {
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);

        (await TeamsHelpAsync(bot)).ShouldBe(HttpStatusCode.OK);
        (await SlackHelpAsync(bot)).ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Both_RunSideBySide()
    {
        var configuration = BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString);
        foreach (var (key, value) in SlackTestSettings.Configuration(_slack, azurite.ConnectionString).Where(setting => setting.Key.StartsWith("Slack:", StringComparison.Ordinal)))
        {
            configuration[key] = value;
        }

        await using var bot = await BotTestHost.StartAsync(configuration, Cancel);

        (await TeamsHelpAsync(bot)).ShouldBe(HttpStatusCode.OK);
        (await SlackHelpAsync(bot)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task SlackEnabled_HalfConfigured_FailsAtStartNamingTheSetting()
    {
        var configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        configuration.Remove("Slack:BotToken");

        var failure = await Should.ThrowAsync<OptionsValidationException>(async () => await BotTestHost.StartAsync(configuration, Cancel));

        failure.Failures.ShouldContain(message => message.Contains("Slack:BotToken", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SlackThroughAzureBotService_ChannelSlackOnApiMessages_IsAnsweredThroughTheConnector()
    {
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
        // The shape of a Slack activity from Azure Bot Service (bot-protocol.md §5.1): composite ids, channelData.SlackMessage.
        var activity = TestActivities.Message(_identity.AppId, _connector.ServiceUrl, "BKGSYSTFG:TKGSUQHQE:DKE8NUG92", "help", conversationType: "personal", tenantId: "");
        activity["channelId"] = "slack";
        activity["from"] = new JsonObject { ["id"] = "UK8CH2281:TKGSUQHQE", ["name"] = "someone" };
        activity["recipient"] = new JsonObject { ["id"] = "BKGSYSTFG:TKGSUQHQE", ["name"] = "digest" };
        activity["conversation"] = new JsonObject { ["id"] = "BKGSYSTFG:TKGSUQHQE:DKE8NUG92" };
        activity["channelData"] = new JsonObject
        {
            ["SlackMessage"] = new JsonObject { ["team_id"] = "TKGSUQHQE", ["event"] = new JsonObject { ["type"] = "message", ["text"] = "help", ["channel_type"] = "im" } },
        };

        using var response = await bot.PostAsync(activity.ToJsonString(), _identity.ChannelToken(_connector.ServiceUrl, TestIdentityProvider.SlackChannelKeyId), Cancel);
        var reply = await _connector.NextAsync(Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        reply.RawTarget.ShouldEndWith($"/v3/conversations/{Uri.EscapeDataString("BKGSYSTFG:TKGSUQHQE:DKE8NUG92")}/activities");
        reply.Card.ShouldNotBeNull(); // the help card
    }

    [Fact]
    public async Task SlackThroughAzureBotService_TokenNotEndorsedForSlack_Is401()
    {
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
        var activity = TestActivities.Message(_identity.AppId, _connector.ServiceUrl, "BKGSYSTFG:TKGSUQHQE:DKE8NUG92", "help", tenantId: "");
        activity["channelId"] = "slack";

        using var response = await bot.PostAsync(activity.ToJsonString(), _identity.ChannelToken(_connector.ServiceUrl, TestIdentityProvider.WebChatOnlyKeyId), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
