using System.Text.Json;
using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Connector;
using Digest.Platforms.Teams.Schema;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Teams;

/// <summary>Handles activities that passed every inbound check.</summary>
public interface IActivityHandler
{
    /// <summary>message, conversationUpdate, installationUpdate: answers go out through the connector.</summary>
    Task HandleAsync(Activity activity, CancellationToken cancellationToken);

    /// <summary>invoke: the answer is the HTTP response.</summary>
    Task<InvokeResponse> HandleInvokeAsync(Activity activity, CancellationToken cancellationToken);
}

/// <summary>The Teams front end (and every Bot Framework channel): activities that passed every inbound check, turned
/// into the command core's commands and install events, and its replies sent back through the connector.</summary>
public sealed partial class TeamsActivityHandler(
    CommandRouter commands,
    ConversationLifecycle lifecycle,
    BotConnectorClient connector,
    TeamsReplyRenderer replies,
    ILogger<TeamsActivityHandler> logger) : IActivityHandler
{
    public async Task HandleAsync(Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activity);
        try
        {
            switch (activity.Type)
            {
                case ActivityTypes.Message:
                    await OnMessageAsync(activity, cancellationToken).ConfigureAwait(false);
                    break;
                case ActivityTypes.ConversationUpdate:
                    await OnConversationUpdateAsync(activity, cancellationToken).ConfigureAwait(false);
                    break;
                case ActivityTypes.InstallationUpdate:
                    await OnInstallationUpdateAsync(activity, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    break;
            }
        }
        catch (ConnectorException exception) when (exception.IsTerminalForConversation && KeyOf(activity) is { } key)
        {
            LogConversationGone(logger, key.ToString(), exception);
            await lifecycle.RemovedAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<InvokeResponse> HandleInvokeAsync(Activity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (!string.Equals(activity.Name, "adaptiveCard/action", StringComparison.Ordinal))
        {
            return new InvokeResponse(501, null);
        }

        if (activity.Value is not { ValueKind: JsonValueKind.Object } value
            || !value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object
            || !action.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || type.GetString() != "Action.Execute"
            || ActivityText.CardCommand(value) is not { Length: > 0 } command)
        {
            return InvokeError(400, "BadRequest", "Expected an Action.Execute with data.command.");
        }

        var key = KeyOf(activity);
        if (key is null)
        {
            return InvokeError(400, "BadRequest", "The activity names no conversation.");
        }

        var summary = await RunCommandAsync(activity, key, command, cancellationToken).ConfigureAwait(false);
        return new InvokeResponse(200, new JsonObject
        {
            ["statusCode"] = 200,
            ["type"] = "application/vnd.microsoft.activity.message",
            ["value"] = summary,
        });
    }

    private static InvokeResponse InvokeError(int status, string code, string message) => new(status, new JsonObject
    {
        ["statusCode"] = status,
        ["type"] = "application/vnd.microsoft.error",
        ["value"] = new JsonObject { ["code"] = code, ["message"] = message },
    });

    private async Task OnMessageAsync(Activity activity, CancellationToken cancellationToken)
    {
        if (KeyOf(activity) is not { } key)
        {
            return;
        }

        await RunCommandAsync(activity, key, ActivityText.CommandText(activity), cancellationToken).ConfigureAwait(false);
    }

    private async Task OnConversationUpdateAsync(Activity activity, CancellationToken cancellationToken)
    {
        var botId = activity.Recipient?.Id;
        if (botId is null || KeyOf(activity) is not { } key)
        {
            return;
        }

        if (activity.MembersAdded?.Any(member => member.Id == botId) == true)
        {
            await OnInstalledAsync(activity, key, cancellationToken).ConfigureAwait(false);
        }
        else if (activity.MembersRemoved?.Any(member => member.Id == botId) == true)
        {
            await lifecycle.RemovedAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task OnInstallationUpdateAsync(Activity activity, CancellationToken cancellationToken)
    {
        if (KeyOf(activity) is not { } key)
        {
            return;
        }

        switch (activity.Action)
        {
            case "add":
                await OnInstalledAsync(activity, key, cancellationToken).ConfigureAwait(false);
                break;
            case "add-upgrade":
                await lifecycle.RecordContactAsync(Contact(activity, key), cancellationToken).ConfigureAwait(false);
                break;
            case "remove":
                await lifecycle.RemovedAsync(key, cancellationToken).ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    // Teams sends both conversationUpdate and installationUpdate on install: the lifecycle greets only on the first.
    private async Task OnInstalledAsync(Activity activity, ConversationKey key, CancellationToken cancellationToken)
    {
        if (await lifecycle.InstalledAsync(Contact(activity, key), cancellationToken).ConfigureAwait(false) is { } welcome)
        {
            await SendAsync(activity, replies.Render(welcome), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs one command and answers in the conversation; returns a one-line summary (for invoke responses).</summary>
    private async Task<string> RunCommandAsync(Activity activity, ConversationKey key, string text, CancellationToken cancellationToken)
    {
        var result = await commands.RunAsync(Contact(activity, key), text, cancellationToken).ConfigureAwait(false);
        if (result.Reply is { } reply)
        {
            await SendAsync(activity, replies.Render(reply), cancellationToken).ConfigureAwait(false);
        }

        return result.Summary;
    }

    // Every verified contact refreshes the reference: the service URL can move (docs/protocols.md).
    private static ConversationContact Contact(Activity activity, ConversationKey key) => new(key, TeamsAddress.From(ReferenceOf(activity)));

    // In a channel, answer in the thread of the message; elsewhere, post to the conversation.
    private async Task SendAsync(Activity inbound, Activity outbound, CancellationToken cancellationToken)
    {
        var serviceUrl = inbound.ServiceUrl!;
        var conversationId = inbound.Conversation!.Id!;
        // The tenant too: the connector client paces sends per tenant by it, as Teams limits them.
        outbound = outbound with { From = inbound.Recipient, Conversation = new ConversationAccount { Id = conversationId, TenantId = TenantOf(inbound) } };
        if (inbound.Conversation.ConversationType == "channel" && inbound.Id is { Length: > 0 } replyTo && inbound.Type == ActivityTypes.Message)
        {
            await connector.ReplyToActivityAsync(serviceUrl, conversationId, replyTo, outbound, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await connector.SendToConversationAsync(serviceUrl, conversationId, outbound, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The conversation an activity belongs to, from its verified fields only; for a post in a Teams channel,
    /// the channel (<see cref="TeamsChannels"/>).</summary>
    public static ConversationKey? KeyOf(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return activity is { ChannelId: { Length: > 0 } channelId, Conversation.Id: { Length: > 0 } conversationId, ServiceUrl: { Length: > 0 } }
            ? ConversationKey.Create(channelId, TenantOf(activity), TeamsChannels.SubscriptionConversationId(channelId, conversationId))
            : null;
    }

    /// <summary><c>conversation.tenantId</c>, else <c>channelData.tenant.id</c> (docs/protocols.md §1.3).</summary>
    public static string? TenantOf(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return activity.Conversation?.TenantId is { Length: > 0 } tenant ? tenant : ChannelDataTenant(activity);
    }

    /// <summary><c>channelData.tenant.id</c>, when present.</summary>
    public static string? ChannelDataTenant(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return activity.ChannelData is { ValueKind: JsonValueKind.Object } data
            && data.TryGetProperty("tenant", out var tenant) && tenant.ValueKind == JsonValueKind.Object
            && tenant.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                ? id.GetString()
                : null;
    }

    private static ConversationReference ReferenceOf(Activity activity)
    {
        string? teamId = null;
        if (activity.ChannelData is { ValueKind: JsonValueKind.Object } data
            && data.TryGetProperty("team", out var team) && team.ValueKind == JsonValueKind.Object
            && team.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            teamId = id.GetString();
        }

        var conversation = activity.Conversation!;
        return new ConversationReference
        {
            ChannelId = activity.ChannelId!,
            ServiceUrl = activity.ServiceUrl!,
            Conversation = new ConversationAccount
            {
                // The channel, not the post it was spoken in: deliveries are new posts in the channel.
                Id = TeamsChannels.SubscriptionConversationId(activity.ChannelId, conversation.Id!),
                ConversationType = conversation.ConversationType,
                IsGroup = conversation.IsGroup,
                TenantId = TenantOf(activity),
            },
            Bot = activity.Recipient is { } bot ? new ChannelAccount { Id = bot.Id, Name = bot.Name } : null,
            User = activity.From is { } user ? new ChannelAccount { Id = user.Id, AadObjectId = user.AadObjectId } : null,
            TeamId = teamId,
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connector says {Conversation} is gone; deactivating it")]
    private static partial void LogConversationGone(ILogger logger, string conversation, Exception exception);
}
