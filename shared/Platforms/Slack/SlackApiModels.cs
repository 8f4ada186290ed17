using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Digest.Platforms.Slack;

/// <summary>A message ready for <c>chat.postMessage</c> or a <c>response_url</c>: Block Kit blocks and the plain
/// <c>text</c> notifications show.</summary>
/// <param name="Text">The notification fallback, already escaped.</param>
/// <param name="Blocks">At most 50 blocks.</param>
public sealed record SlackMessage(string Text, JsonArray Blocks);

/// <summary>What every Web API answer carries.</summary>
public record SlackApiResponse
{
    public bool Ok { get; init; }

    public string? Error { get; init; }

    /// <summary>For <c>missing_scope</c>: the scope the app lacks.</summary>
    public string? Needed { get; init; }
}

/// <summary>A message <c>chat.postMessage</c> accepted: its channel and its <c>ts</c> (the message id).</summary>
public sealed record SlackPostedMessage(string Channel, string Ts);

/// <summary>The answer of <c>auth.test</c>: who a token belongs to.</summary>
public sealed record SlackAuthTest : SlackApiResponse
{
    public string? Url { get; init; }

    public string? Team { get; init; }

    public string? TeamId { get; init; }

    public string? User { get; init; }

    public string? UserId { get; init; }

    public string? BotId { get; init; }

    public string? EnterpriseId { get; init; }

    public bool IsEnterpriseInstall { get; init; }
}

/// <summary>A team or an Enterprise Grid org in an OAuth answer.</summary>
public sealed record SlackTeamRef(string Id, string? Name);

/// <summary>The installing user in an OAuth answer (their own user token is never asked for).</summary>
public sealed record SlackAuthedUser(string Id);

/// <summary>The answer of <c>oauth.v2.access</c>: the bot token of a new installation, or a refreshed one.
/// Its <see cref="ToString"/> leaves the tokens out, so logging it leaks nothing.</summary>
public sealed record SlackOAuthAccess : SlackApiResponse
{
    public string? AccessToken { get; init; }

    public string? TokenType { get; init; }

    public string? Scope { get; init; }

    public string? BotUserId { get; init; }

    public string? AppId { get; init; }

    public SlackTeamRef? Team { get; init; }

    public SlackTeamRef? Enterprise { get; init; }

    public SlackAuthedUser? AuthedUser { get; init; }

    public bool IsEnterpriseInstall { get; init; }

    /// <summary>With token rotation: seconds until <see cref="AccessToken"/> expires.</summary>
    public int? ExpiresIn { get; init; }

    /// <summary>With token rotation: the token to get the next access token with.</summary>
    public string? RefreshToken { get; init; }

    /// <summary>The key an installation is stored under: the org for an org-wide (Grid) install, else the team.</summary>
    [JsonIgnore]
    public string? InstallationId => IsEnterpriseInstall ? Enterprise?.Id : Team?.Id;

    protected override bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Ok = ").Append(Ok).Append(", Error = ").Append(Error)
            .Append(", TokenType = ").Append(TokenType).Append(", Scope = ").Append(Scope)
            .Append(", AppId = ").Append(AppId).Append(", Team = ").Append(Team?.Id).Append(", Enterprise = ").Append(Enterprise?.Id)
            .Append(", IsEnterpriseInstall = ").Append(IsEnterpriseInstall).Append(", ExpiresIn = ").Append(ExpiresIn)
            .Append(", AccessToken = ").Append(AccessToken is null ? "null" : "(redacted)")
            .Append(", RefreshToken = ").Append(RefreshToken is null ? "null" : "(redacted)");
        return true;
    }
}

/// <summary>A view Slack accepted (<c>views.publish</c>, <c>views.open</c>).</summary>
public sealed record SlackViewResult(string Id, string? Hash);

internal sealed record ChatPostMessageRequest(string Channel, string Text, JsonArray Blocks)
{
    public bool UnfurlLinks { get; init; }

    public bool UnfurlMedia { get; init; }

    /// <summary>False: the fallback text is shown as it is, whatever characters a title brings.</summary>
    public bool Mrkdwn { get; init; }
}

internal sealed record ChatPostMessageResponse : SlackApiResponse
{
    public string? Channel { get; init; }

    public string? Ts { get; init; }
}

internal sealed record ViewsPublishRequest(string UserId, JsonObject View)
{
    public string? Hash { get; init; }
}

internal sealed record ViewsOpenRequest(string TriggerId, JsonObject View);

internal sealed record SlackView(string Id)
{
    public string? Hash { get; init; }
}

internal sealed record ViewResponse : SlackApiResponse
{
    public SlackView? View { get; init; }
}

/// <summary>A message for a slash command's or an action's <c>response_url</c>.</summary>
internal sealed record ResponseUrlMessage(string Text, JsonArray Blocks)
{
    /// <summary><c>ephemeral</c> (only the person who asked sees it) or <c>in_channel</c>.</summary>
    public string? ResponseType { get; init; }

    public bool? ReplaceOriginal { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SlackApiResponse))]
[JsonSerializable(typeof(SlackAuthTest))]
[JsonSerializable(typeof(SlackOAuthAccess))]
[JsonSerializable(typeof(ChatPostMessageRequest))]
[JsonSerializable(typeof(ChatPostMessageResponse))]
[JsonSerializable(typeof(ViewsPublishRequest))]
[JsonSerializable(typeof(ViewsOpenRequest))]
[JsonSerializable(typeof(ViewResponse))]
[JsonSerializable(typeof(ResponseUrlMessage))]
internal sealed partial class SlackJsonContext : JsonSerializerContext;
