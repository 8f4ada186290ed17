using System.Text.Json.Nodes;

namespace Digest.Tests.Bot.Loopback;

/// <summary>Activities shaped like the Teams payloads of docs/protocols.md §1.</summary>
public static class TestActivities
{
    public const string TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    public const string UserId = "29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85gQtHieVkKilBZ9XHoq9j7Zaqt7CZ-NJWi7me2kHTL3Bw";

    /// <summary>A personal-chat conversation id, unique per call (Teams ids contain <c>:</c>, <c>-</c>, <c>_</c>).</summary>
    public static string PersonalConversationId() => "a:1" + Guid.NewGuid().ToString("N") + "-Dx_kF9w";

    /// <summary>A channel thread id with the characters Teams uses (<c>:</c> <c>@</c> <c>;</c> <c>=</c>).</summary>
    public static string ChannelConversationId() => ChannelPost(ChannelId());

    /// <summary>A Teams channel's id, unique per call: what <c>channelData.channel.id</c> carries.</summary>
    public static string ChannelId() => $"19:{Guid.NewGuid():N}@thread.tacv2";

    /// <summary>The conversation id of a new post in <paramref name="channelId"/>: Teams makes every post (and its
    /// replies) a conversation of its own, <c>{channel};messageid={id of the post}</c>.</summary>
    public static string ChannelPost(string channelId) =>
        $"{channelId};messageid={Random.Shared.NextInt64(1_000_000_000_000, 10_000_000_000_000)}";

    public static JsonObject Message(string botAppId, string serviceUrl, string conversationId, string text, string conversationType = "personal", string tenantId = TenantId, string? id = null)
    {
        var activity = Base("message", botAppId, serviceUrl, conversationId, conversationType, tenantId, id);
        activity["text"] = text;
        activity["textFormat"] = "plain";
        activity["locale"] = "en-US";
        return activity;
    }

    /// <summary>A channel message that @mentions the bot (and maybe someone else), as Teams sends it.</summary>
    public static JsonObject ChannelMention(string botAppId, string serviceUrl, string conversationId, string botDisplayName, string textAfterMention, string tenantId = TenantId)
    {
        var activity = Message(botAppId, serviceUrl, conversationId, $"<at>{botDisplayName}</at> {textAfterMention}", "channel", tenantId);
        activity["entities"] = new JsonArray(new JsonObject
        {
            ["type"] = "mention",
            ["mentioned"] = new JsonObject { ["id"] = "28:" + botAppId, ["name"] = botDisplayName },
            ["text"] = $"<at>{botDisplayName}</at>",
        });
        var channelId = conversationId.Split(';')[0];
        activity["channelData"]!["team"] = new JsonObject { ["id"] = "19:team@thread.tacv2" };
        activity["channelData"]!["channel"] = new JsonObject { ["id"] = channelId };
        activity["channelData"]!["teamsChannelId"] = channelId;
        activity["channelData"]!["teamsTeamId"] = "19:team@thread.tacv2";
        return activity;
    }

    public static JsonObject BotAdded(string botAppId, string serviceUrl, string conversationId, string conversationType = "personal", string tenantId = TenantId)
    {
        var activity = Base("conversationUpdate", botAppId, serviceUrl, conversationId, conversationType, tenantId, null);
        activity["membersAdded"] = new JsonArray(new JsonObject { ["id"] = "28:" + botAppId }, new JsonObject { ["id"] = UserId });
        return activity;
    }

    public static JsonObject BotRemoved(string botAppId, string serviceUrl, string conversationId, string tenantId = TenantId)
    {
        var activity = Base("conversationUpdate", botAppId, serviceUrl, conversationId, "personal", tenantId, null);
        activity["membersRemoved"] = new JsonArray(new JsonObject { ["id"] = "28:" + botAppId });
        return activity;
    }

    public static JsonObject Installation(string botAppId, string serviceUrl, string conversationId, string action, string tenantId = TenantId)
    {
        var activity = Base("installationUpdate", botAppId, serviceUrl, conversationId, "personal", tenantId, null);
        activity["action"] = action;
        return activity;
    }

    /// <summary>An Action.Submit click: a message whose value is the card's data.</summary>
    public static JsonObject Submit(string botAppId, string serviceUrl, string conversationId, string command, string tenantId = TenantId)
    {
        var activity = Base("message", botAppId, serviceUrl, conversationId, "personal", tenantId, null);
        activity["value"] = new JsonObject { ["command"] = command };
        activity["replyToId"] = "1485983408511";
        return activity;
    }

    /// <summary>An Action.Execute click: <c>invoke</c> named <c>adaptiveCard/action</c>.</summary>
    public static JsonObject Execute(string botAppId, string serviceUrl, string conversationId, string command, string tenantId = TenantId, string name = "adaptiveCard/action")
    {
        var activity = Base("invoke", botAppId, serviceUrl, conversationId, "personal", tenantId, null);
        activity["name"] = name;
        activity["value"] = new JsonObject
        {
            ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "command", ["data"] = new JsonObject { ["command"] = command } },
            ["trigger"] = "manual",
        };
        return activity;
    }

    private static JsonObject Base(string type, string botAppId, string serviceUrl, string conversationId, string conversationType, string tenantId, string? id) => new()
    {
        ["type"] = type,
        ["id"] = id ?? "f:" + Guid.NewGuid().ToString("N"),
        ["timestamp"] = "2026-11-22T10:00:00.000Z",
        ["serviceUrl"] = serviceUrl,
        ["channelId"] = "msteams",
        ["from"] = new JsonObject { ["id"] = UserId, ["name"] = "Megan Bowen", ["aadObjectId"] = "7faf8ab2-3d56-4244-b585-20c8a42ed2b8" },
        ["conversation"] = new JsonObject
        {
            ["conversationType"] = conversationType,
            ["id"] = conversationId,
            ["tenantId"] = tenantId,
            ["isGroup"] = conversationType != "personal",
        },
        ["recipient"] = new JsonObject { ["id"] = "28:" + botAppId, ["name"] = "Paper Alerts" },
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId } },
    };
}
