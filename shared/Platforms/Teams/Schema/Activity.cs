using System.Text.Json;
using System.Text.Json.Nodes;

namespace Digest.Platforms.Teams.Schema;

/// <summary>Activity types the bot acts on (docs/protocols.md §1.2).</summary>
public static class ActivityTypes
{
    public const string Message = "message";
    public const string ConversationUpdate = "conversationUpdate";
    public const string InstallationUpdate = "installationUpdate";
    public const string Invoke = "invoke";
}

/// <summary>The subset of the Bot Framework Activity the bot reads and writes. Unknown fields are ignored on
/// input; nulls are omitted on output.</summary>
public sealed record Activity
{
    public string? Type { get; init; }
    public string? Id { get; init; }
    public string? Timestamp { get; init; }
    public string? ServiceUrl { get; init; }
    public string? ChannelId { get; init; }
    public ChannelAccount? From { get; init; }
    public ChannelAccount? Recipient { get; init; }
    public ConversationAccount? Conversation { get; init; }
    public string? Text { get; init; }
    public string? TextFormat { get; init; }
    public string? Summary { get; init; }
    public string? Locale { get; init; }
    public string? ReplyToId { get; init; }
    public string? Name { get; init; }
    public string? Action { get; init; }
    public IReadOnlyList<ChannelAccount>? MembersAdded { get; init; }
    public IReadOnlyList<ChannelAccount>? MembersRemoved { get; init; }
    public IReadOnlyList<Attachment>? Attachments { get; init; }
    public IReadOnlyList<Entity>? Entities { get; init; }
    public JsonElement? Value { get; init; }
    public JsonElement? ChannelData { get; init; }

    /// <summary>An outgoing message with text only (Teams splits text + attachment into two messages).</summary>
    public static Activity CreateText(string text) => new() { Type = ActivityTypes.Message, Text = text, TextFormat = "markdown" };

    /// <summary>An outgoing message carrying one Adaptive Card.</summary>
    public static Activity CreateCard(JsonObject card, string summary) => new()
    {
        Type = ActivityTypes.Message,
        Summary = summary,
        Attachments = [new Attachment { ContentType = Attachment.AdaptiveCardContentType, Content = card }],
    };
}

public sealed record ChannelAccount
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? AadObjectId { get; init; }
    public string? Role { get; init; }
}

public sealed record ConversationAccount
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public bool? IsGroup { get; init; }
    public string? ConversationType { get; init; }
    public string? TenantId { get; init; }
}

public sealed record Attachment
{
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";

    public string? ContentType { get; init; }
    public JsonNode? Content { get; init; }
    public string? ContentUrl { get; init; }
    public string? Name { get; init; }
}

/// <summary>An entity; only mentions are read (<c>type: mention</c>).</summary>
public sealed record Entity
{
    public string? Type { get; init; }
    public ChannelAccount? Mentioned { get; init; }
    public string? Text { get; init; }
}

/// <summary>The body of <c>POST v3/conversations/{id}/activities</c> answers.</summary>
public sealed record ResourceResponse
{
    public string? Id { get; init; }
}

/// <summary>The body of <c>POST v3/conversations</c> (create conversation).</summary>
public sealed record ConversationParameters
{
    public bool IsGroup { get; init; }
    public ChannelAccount? Bot { get; init; }
    public IReadOnlyList<ChannelAccount>? Members { get; init; }
    public string? TenantId { get; init; }
    public Activity? Activity { get; init; }
    public JsonObject? ChannelData { get; init; }
}

/// <summary>The answer of <c>POST v3/conversations</c>.</summary>
public sealed record ConversationResourceResponse
{
    public string? Id { get; init; }
    public string? ActivityId { get; init; }
    public string? ServiceUrl { get; init; }
}

/// <summary>The synchronous answer to an <c>invoke</c> activity: HTTP status and JSON body.</summary>
public sealed record InvokeResponse(int Status, JsonObject? Body);

/// <summary>The error body the Bot Connector returns (<c>{"error":{"code","message"}}</c>).</summary>
public sealed record ConnectorErrorResponse
{
    public ConnectorError? Error { get; init; }
}

public sealed record ConnectorError
{
    public string? Code { get; init; }
    public string? Message { get; init; }
}

/// <summary>Where to send a proactive message: what docs/protocols.md §3.3 says to persist per conversation.</summary>
public sealed record ConversationReference
{
    public required string ChannelId { get; init; }
    public required string ServiceUrl { get; init; }
    public required ConversationAccount Conversation { get; init; }
    public ChannelAccount? Bot { get; init; }
    public ChannelAccount? User { get; init; }
    public string? TeamId { get; init; }
}
