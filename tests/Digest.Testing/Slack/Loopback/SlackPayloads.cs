using System.Text.Json.Nodes;

namespace Digest.Tests.Slack.Loopback;

/// <summary>Events API envelopes and interaction payloads in the shapes Slack sends (bot-protocol.md §5.2.3-5.2.4).</summary>
public static class SlackPayloads
{
    /// <summary>A fresh <c>event_id</c>.</summary>
    public static string EventId() => "Ev" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();

    public static JsonObject UrlVerification(string challenge) =>
        new() { ["token"] = "deprecated", ["challenge"] = challenge, ["type"] = "url_verification" };

    /// <summary>An <c>event_callback</c> envelope around <paramref name="slackEvent"/>.</summary>
    public static JsonObject Envelope(string team, JsonObject slackEvent, string? eventId = null) => new()
    {
        ["token"] = "deprecated",
        ["team_id"] = team,
        ["api_app_id"] = "A0APP",
        ["event"] = slackEvent,
        ["type"] = "event_callback",
        ["event_id"] = eventId ?? EventId(),
        ["event_time"] = 1776271070,
        ["authorizations"] = new JsonArray { new JsonObject { ["team_id"] = team, ["user_id"] = "U0BOT", ["is_bot"] = true, ["is_enterprise_install"] = false } },
    };

    /// <summary>A message in the app's DM (<c>message.im</c>).</summary>
    public static JsonObject DirectMessage(string user, string channel, string text) => new()
    {
        ["type"] = "message", ["user"] = user, ["text"] = text, ["channel"] = channel, ["channel_type"] = "im",
        ["ts"] = "1776271070.726439", ["event_ts"] = "1776271070.726439",
    };

    /// <summary>A message the app itself posted, as Slack echoes it back to the DM.</summary>
    public static JsonObject BotMessage(string channel, string text) => new()
    {
        ["type"] = "message", ["subtype"] = "bot_message", ["bot_id"] = "B0BOT", ["text"] = text, ["channel"] = channel, ["channel_type"] = "im",
        ["ts"] = "1776271071.000100",
    };

    /// <summary><c>@Digest {text}</c> in a channel.</summary>
    public static JsonObject AppMention(string user, string channel, string text) => new()
    {
        ["type"] = "app_mention", ["user"] = user, ["text"] = "<@U0BOT> " + text, ["channel"] = channel, ["ts"] = "1776271072.000200",
    };

    public static JsonObject AppHomeOpened(string user, string dmChannel) => new()
    {
        ["type"] = "app_home_opened", ["user"] = user, ["channel"] = dmChannel, ["tab"] = "home",
    };

    /// <summary>A person left a channel the app is in (<c>member_left_channel</c>, as Slack documents it).</summary>
    public static JsonObject MemberLeftChannel(string team, string user, string channel) => new()
    {
        ["type"] = "member_left_channel", ["user"] = user, ["channel"] = channel, ["channel_type"] = "C", ["team"] = team,
        ["event_ts"] = "1776271073.000300",
    };

    public static JsonObject AppUninstalled() => new() { ["type"] = "app_uninstalled" };

    public static JsonObject TokensRevoked(bool bot) => new()
    {
        ["type"] = "tokens_revoked",
        ["tokens"] = bot ? new JsonObject { ["bot"] = new JsonArray { "U0BOT" } } : new JsonObject { ["oauth"] = new JsonArray { "U0SOMEONE" } },
    };

    /// <summary>A button clicked in the App Home.</summary>
    public static JsonObject HomeAction(string team, string user, string actionId, string value) => new()
    {
        ["type"] = "block_actions",
        ["team"] = new JsonObject { ["id"] = team, ["domain"] = "loopback" },
        ["user"] = new JsonObject { ["id"] = user, ["team_id"] = team },
        ["api_app_id"] = "A0APP",
        ["trigger_id"] = "13345224609.738474920." + Guid.NewGuid().ToString("N"),
        ["container"] = new JsonObject { ["type"] = "view", ["view_id"] = "V0HOME" },
        ["view"] = new JsonObject { ["id"] = "V0HOME", ["type"] = "home", ["callback_id"] = "" },
        ["actions"] = new JsonArray { new JsonObject { ["action_id"] = actionId, ["block_id"] = "b", ["value"] = value, ["type"] = "button" } },
    };

    /// <summary>A button clicked in one of the app's messages in <paramref name="channel"/>.</summary>
    public static JsonObject MessageAction(string team, string user, string channel, string actionId, string value, string responseUrl) => new()
    {
        ["type"] = "block_actions",
        ["team"] = new JsonObject { ["id"] = team, ["domain"] = "loopback" },
        ["user"] = new JsonObject { ["id"] = user, ["team_id"] = team },
        ["api_app_id"] = "A0APP",
        ["trigger_id"] = "13345224609.738474920." + Guid.NewGuid().ToString("N"),
        ["container"] = new JsonObject { ["type"] = "message", ["message_ts"] = "1776271070.726439", ["channel_id"] = channel, ["is_ephemeral"] = true },
        ["channel"] = new JsonObject { ["id"] = channel, ["name"] = "general" },
        ["response_url"] = responseUrl,
        ["actions"] = new JsonArray { new JsonObject { ["action_id"] = actionId, ["block_id"] = "b", ["value"] = value, ["type"] = "button" } },
    };

    /// <summary>A modal submitted with one text input; <paramref name="privateMetadata"/> is what the app opened it with.</summary>
    public static JsonObject ViewSubmission(string team, string user, string callbackId, string input, string value, string privateMetadata = "") => new()
    {
        ["type"] = "view_submission",
        ["team"] = new JsonObject { ["id"] = team, ["domain"] = "loopback" },
        ["user"] = new JsonObject { ["id"] = user, ["team_id"] = team },
        ["api_app_id"] = "A0APP",
        ["view"] = new JsonObject
        {
            ["id"] = "V0MODAL", ["type"] = "modal", ["callback_id"] = callbackId, ["private_metadata"] = privateMetadata,
            ["state"] = new JsonObject { ["values"] = new JsonObject { [input] = new JsonObject { [input] = new JsonObject { ["type"] = "plain_text_input", ["value"] = value } } } },
        },
    };
}
