using System.Text.Json.Nodes;
using Digest.Bot;
using Digest.Platforms.Slack.Installations;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The Slack app manifest (<c>bot/slack/manifest.json</c>) points at the endpoints the bot maps and asks for
/// the events and scopes the front end uses.</summary>
public sealed class SlackManifestTests
{
    private static JsonNode Manifest()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Digest.sln")))
        {
            directory = directory.Parent;
        }

        return JsonNode.Parse(File.ReadAllText(Path.Combine(directory!.FullName, "bot", "slack", "manifest.json")))!;
    }

    [Fact]
    public void Manifest_Urls_AreTheBotsSlackEndpoints()
    {
        var manifest = Manifest();

        ((string)manifest["features"]!["slash_commands"]![0]!["url"]!).ShouldBe("https://{{BOT_DOMAIN}}" + SlackEndpoints.CommandsPath);
        ((string)manifest["settings"]!["event_subscriptions"]!["request_url"]!).ShouldBe("https://{{BOT_DOMAIN}}" + SlackEndpoints.EventsPath);
        ((string)manifest["settings"]!["interactivity"]!["request_url"]!).ShouldBe("https://{{BOT_DOMAIN}}" + SlackEndpoints.InteractionsPath);
        ((string)manifest["features"]!["slash_commands"]![0]!["command"]!).ShouldBe("/digest");
    }

    [Fact]
    public void Manifest_EventsAndScopes_AreTheOnesTheFrontEndUses()
    {
        var manifest = Manifest();

        manifest["settings"]!["event_subscriptions"]!["bot_events"]!.AsArray().Select(node => (string)node!)
            .ShouldBe(["app_home_opened", "app_mention", "app_uninstalled", "member_left_channel", "message.im", "tokens_revoked"], ignoreOrder: true);
        manifest["oauth_config"]!["scopes"]!["bot"]!.AsArray().Select(node => (string)node!)
            .ShouldBe(SlackInstallFlow.BotScopes, ignoreOrder: true);
        ((bool)manifest["features"]!["app_home"]!["home_tab_enabled"]!).ShouldBeTrue();
        ((bool)manifest["settings"]!["interactivity"]!["is_enabled"]!).ShouldBeTrue();
    }
}
