using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Digest.Bot.Cards;
using Digest.Bot.Connector;
using Digest.Bot.Schema;
using Digest.Delivery;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.Bot.Conversation;

/// <summary>Handles activities that passed every inbound check.</summary>
public interface IActivityHandler
{
    /// <summary>message, conversationUpdate, installationUpdate: answers go out through the connector.</summary>
    Task HandleAsync(Activity activity, CancellationToken cancellationToken);

    /// <summary>invoke: the answer is the HTTP response.</summary>
    Task<InvokeResponse> HandleInvokeAsync(Activity activity, CancellationToken cancellationToken);
}

/// <summary>The bot's conversation: install and removal, and the commands people type or click.</summary>
public sealed partial class BotActivityHandler(
    SubscriptionStore store,
    BotConnectorClient connector,
    IPaperSource papers,
    IRuleEngine rules,
    AdaptiveCardRenderer cards,
    NotifySubscribers notifier,
    TimeProvider time,
    ILogger<BotActivityHandler> logger) : IActivityHandler
{
    /// <summary>Longest rule accepted.</summary>
    public const int MaxRuleLength = 500;

    private const int PreviewDays = 7;
    private const int PreviewExamples = 3;

    /// <summary>The commands, as the help card lists them.</summary>
    public static IReadOnlyList<CommandHelp> Commands { get; } =
    [
        new("help", "Show this list", "help"),
        new("subscribe", "Send papers matching this conversation's rules here", "subscribe"),
        new("unsubscribe", "Stop sending papers here (rules are kept)"),
        new("add <rule>", "Add a rule, e.g. add \"diffusion model\" AND video; shows what it would have matched among the papers first seen in the last 7 days"),
        new("rules", "List the rules, numbered", "rules"),
        new("remove <n>", "Remove rule number n"),
        new("pause / resume", "Hold deliveries, and start them again"),
        new("mode instant", "Send papers as soon as they are found"),
        new("mode daily 08:30 Europe/Berlin", "Send one digest a day at that local time"),
        new("digest", "Send now what matched since the last delivery", "digest"),
        new("status", "Last crawl, papers today, papers and messages delivered", "status"),
    ];

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
            await MarkRemovedAsync(key, cancellationToken).ConfigureAwait(false);
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
            await MarkRemovedAsync(key, cancellationToken).ConfigureAwait(false);
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
                await store.RecordReferenceAsync(key, ReferenceOf(activity), cancellationToken).ConfigureAwait(false);
                break;
            case "remove":
                await MarkRemovedAsync(key, cancellationToken).ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    // Teams sends both conversationUpdate and installationUpdate on install: greet only on the first.
    private async Task OnInstalledAsync(Activity activity, ConversationKey key, CancellationToken cancellationToken)
    {
        var before = await store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        await store.RecordReferenceAsync(key, ReferenceOf(activity), cancellationToken).ConfigureAwait(false);
        LogInstalled(logger, key.ToString());
        if (before is null || !before.Installed)
        {
            await SendCardAsync(activity, cards.Help("Hello! I send new Hugging Face Daily Papers that match your rules. Start with subscribe, then add a rule.", Commands), "Welcome", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task MarkRemovedAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(key, cancellationToken).ConfigureAwait(false) is null)
        {
            return;
        }

        await store.UpdateAsync(key, null, current => current with { Installed = false }, cancellationToken).ConfigureAwait(false);
        LogRemoved(logger, key.ToString());
    }

    /// <summary>Runs one command and answers in the conversation; returns a one-line summary (for invoke responses).</summary>
    private async Task<string> RunCommandAsync(Activity activity, ConversationKey key, string text, CancellationToken cancellationToken)
    {
        // Every verified contact refreshes the reference: the service URL can move (docs/protocols.md §3.3).
        var subscription = await store.RecordReferenceAsync(key, ReferenceOf(activity), cancellationToken).ConfigureAwait(false);
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var name = (space < 0 ? text : text[..space]).ToLowerInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..].Trim();
        LogCommand(logger, name, key.ToString());

        switch (name)
        {
            case "help" or "?":
                await SendCardAsync(activity, cards.Help("What I can do", Commands), "Help", cancellationToken).ConfigureAwait(false);
                return "Help sent.";
            case "subscribe":
                return await ReplyAsync(activity, await SubscribeAsync(key, subscribed: true, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            case "unsubscribe":
                return await ReplyAsync(activity, await SubscribeAsync(key, subscribed: false, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            case "add":
                return await AddRuleAsync(activity, key, argument, cancellationToken).ConfigureAwait(false);
            case "rules" or "list":
                await SendCardAsync(activity, cards.Rules(await store.ListRulesAsync(key, cancellationToken).ConfigureAwait(false)), "Rules", cancellationToken).ConfigureAwait(false);
                return "Rules sent.";
            case "remove":
                return await ReplyAsync(activity, await RemoveRuleAsync(key, argument, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            case "pause" or "resume":
                var paused = name == "pause";
                await store.UpdateAsync(key, null, current => current with { Paused = paused }, cancellationToken).ConfigureAwait(false);
                return await ReplyAsync(activity, paused
                    ? "Paused: no papers will be sent here until you type **resume**."
                    : subscription.Subscribed ? "Resumed: papers matching your rules will be sent here again." : "Resumed. This conversation is not subscribed yet: type **subscribe**.", cancellationToken).ConfigureAwait(false);
            case "mode":
                return await ReplyAsync(activity, await SetModeAsync(key, argument, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            case "digest":
                return await SendDigestAsync(activity, key, subscription, cancellationToken).ConfigureAwait(false);
            case "status":
                return await SendStatusAsync(activity, key, subscription, cancellationToken).ConfigureAwait(false);
            default:
                var echo = text.Length > 60 ? text[..60] + "…" : text;
                return await ReplyAsync(activity, (echo.Length == 0 ? "" : $"I did not understand \"{EscapeText(echo)}\". ")
                    + "Try **help**, **subscribe**, **add** *rule*, **rules**, **digest** or **status**.", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> SubscribeAsync(ConversationKey key, bool subscribed, CancellationToken cancellationToken)
    {
        var updated = await store.UpdateAsync(key, null, current => current with { Subscribed = subscribed }, cancellationToken).ConfigureAwait(false);
        if (!subscribed)
        {
            return "Unsubscribed: no more papers will be sent here. Your rules are kept; type **subscribe** to start again.";
        }

        var count = (await store.ListRulesAsync(key, cancellationToken).ConfigureAwait(false)).Count;
        return count == 0
            ? $"Subscribed (mode {updated.Mode}). Now add a rule, e.g. **add** diffusion AND video."
            : $"Subscribed (mode {updated.Mode}) with {count} rule{(count == 1 ? "" : "s")}.";
    }

    private async Task<string> AddRuleAsync(Activity activity, ConversationKey key, string ruleText, CancellationToken cancellationToken)
    {
        if (ruleText.Length == 0)
        {
            return await ReplyAsync(activity, "Usage: **add** *rule*, for example: add \"large language model\" AND (quantization OR pruning)", cancellationToken).ConfigureAwait(false);
        }

        if (ruleText.Length > MaxRuleLength)
        {
            return await ReplyAsync(activity, $"That rule is {ruleText.Length} characters long; the limit is {MaxRuleLength}.", cancellationToken).ConfigureAwait(false);
        }

        var check = rules.Check(ruleText);
        if (!check.IsValid)
        {
            return await ReplyAsync(activity, $"That rule has a problem: {EscapeText(check.Error!)}", cancellationToken).ConfigureAwait(false);
        }

        var added = await store.AddRuleAsync(key, ruleText, cancellationToken).ConfigureAwait(false);
        if (added is null)
        {
            return await ReplyAsync(activity, "This conversation has the most rules allowed; remove one first (**rules**, then **remove** *n*).", cancellationToken).ConfigureAwait(false);
        }

        // "Recent" as deliveries count it: when the crawl first saw a paper, not the daily date it is listed under (a
        // backfilled page lists old dates), so the preview and the next digest agree.
        var now = time.GetUtcNow();
        var recent = await papers.ListNewAsync(now.AddDays(-PreviewDays), now, cancellationToken).ConfigureAwait(false);
        var hits = rules.Match(ruleText, recent);
        var heading = string.Create(CultureInfo.InvariantCulture,
            $"Rule {added.Number} added: {ruleText}. Among the papers first seen in the last {PreviewDays} days it would have matched {hits.Count} paper{(hits.Count == 1 ? "" : "s")}{(hits.Count > 0 ? ", for example:" : ".")}");
        var examples = hits.Take(PreviewExamples).Select(hit => new PaperCardItem(hit.Paper, hit.Highlights)).ToList();
        await SendCardAsync(activity, cards.Papers(heading, examples, hits.Count), $"Rule {added.Number} added", cancellationToken).ConfigureAwait(false);
        return $"Rule {added.Number} added.";
    }

    private async Task<string> RemoveRuleAsync(ConversationKey key, string argument, CancellationToken cancellationToken)
    {
        const string IdPrefix = "id:";
        if (argument.StartsWith(IdPrefix, StringComparison.OrdinalIgnoreCase))
        {
            // A rules card's button: it names the rule, so a second click (or a stale card) never removes another one.
            return await store.RemoveRuleByIdAsync(key, argument[IdPrefix.Length..].Trim(), cancellationToken).ConfigureAwait(false) is { } removedById
                ? $"Removed rule {removedById.Number}: {EscapeText(removedById.Text)}"
                : "That rule was already removed.";
        }

        if (!int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return "Usage: **remove** *n*, where n is the number **rules** shows.";
        }

        var removed = await store.RemoveRuleAsync(key, number, cancellationToken).ConfigureAwait(false);
        if (removed is null)
        {
            var count = (await store.ListRulesAsync(key, cancellationToken).ConfigureAwait(false)).Count;
            return $"There is no rule {number}; this conversation has {count} rule{(count == 1 ? "" : "s")}.";
        }

        return $"Removed rule {number}: {EscapeText(removed.Text)}";
    }

    private async Task<string> SetModeAsync(ConversationKey key, string argument, CancellationToken cancellationToken)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        DeliveryMode mode;
        if (parts is ["instant"])
        {
            mode = DeliveryMode.Instant;
        }
        else if (parts is ["daily", var at, var zone])
        {
            if (!TimeOnly.TryParseExact(at, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var dailyAt))
            {
                return $"\"{EscapeText(at)}\" is not a time of day; use 24-hour HH:mm, e.g. **mode daily 08:30 Europe/Berlin**.";
            }

            try
            {
                var timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone);
                mode = new DeliveryMode(DeliveryCadence.Daily, dailyAt, timeZone.Id);
            }
            catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                return $"Unknown time zone \"{EscapeText(zone)}\". Use an IANA name such as Europe/Berlin, America/New_York or UTC.";
            }
        }
        else
        {
            return "Usage: **mode instant**, or **mode daily** *HH:mm* *TimeZone*, e.g. mode daily 08:30 Europe/Berlin.";
        }

        await store.UpdateAsync(key, null, current => current with { Mode = mode }, cancellationToken).ConfigureAwait(false);
        return mode.Cadence == DeliveryCadence.Instant
            ? "Mode set: papers are sent as soon as they are found."
            : $"Mode set: one digest a day at {mode.DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture)} ({EscapeText(mode.TimeZoneId!)}).";
    }

    private async Task<string> SendDigestAsync(Activity activity, ConversationKey key, Subscription subscription, CancellationToken cancellationToken)
    {
        var stored = await store.ListRulesAsync(key, cancellationToken).ConfigureAwait(false);
        if (stored.Count == 0)
        {
            return await ReplyAsync(activity, "No rules yet: add one with **add** *rule* first.", cancellationToken).ConfigureAwait(false);
        }

        // The scheduled deliveries' path (outbox, receipts, watermark): a paper sent either way is never sent again.
        var since = subscription.DeliveryWatermark ?? subscription.LastDeliveryAt ?? time.GetUtcNow().AddDays(-1);
        var delivery = await notifier.DeliverNowAsync(subscription, cancellationToken).ConfigureAwait(false);
        return delivery.Outcome switch
        {
            DeliveryOutcome.Sent => string.Create(CultureInfo.InvariantCulture, $"{delivery.PapersSent} paper{(delivery.PapersSent == 1 ? "" : "s")} sent in {delivery.MessagesSent} message{(delivery.MessagesSent == 1 ? "" : "s")}."),
            DeliveryOutcome.NothingToSend => await ReplyAsync(activity, string.Create(CultureInfo.InvariantCulture, $"Nothing new matched your rules since {since:yyyy-MM-dd HH:mm} UTC."), cancellationToken).ConfigureAwait(false),
            DeliveryOutcome.Deactivated => "The conversation is gone; deliveries stopped.",
            _ => await ReplyAsync(activity, "Sending the digest failed; the papers will go out with the next delivery.", cancellationToken).ConfigureAwait(false),
        };
    }

    private async Task<string> SendStatusAsync(Activity activity, ConversationKey key, Subscription subscription, CancellationToken cancellationToken)
    {
        var crawl = await papers.GetCrawlStatusAsync(cancellationToken).ConfigureAwait(false);
        var ruleCount = (await store.ListRulesAsync(key, cancellationToken).ConfigureAwait(false)).Count;
        var state = !subscription.Subscribed ? "not subscribed" : subscription.Paused ? "subscribed, paused" : "subscribed";
        KeyValuePair<string, string>[] facts =
        [
            new("Last crawl", crawl.LastCrawlAt is { } at ? at.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "never"),
            new("Papers today", crawl.PapersToday.ToString(CultureInfo.InvariantCulture)),
            new("This conversation", state),
            new("Mode", subscription.Mode.ToString()),
            new("Rules", ruleCount.ToString(CultureInfo.InvariantCulture)),
            new("Delivered", Delivered(subscription)),
            new("Last delivery", subscription.LastDeliveryAt is { } last ? last.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "never"),
        ];
        await SendCardAsync(activity, cards.Facts("Status", facts), "Status", cancellationToken).ConfigureAwait(false);
        return $"Status: {state}.";
    }

    private static string Delivered(Subscription subscription) => subscription.MessagesDelivered == 0
        ? "nothing yet"
        : string.Create(CultureInfo.InvariantCulture,
            $"{subscription.PapersDelivered} paper{(subscription.PapersDelivered == 1 ? "" : "s")} in {subscription.MessagesDelivered} message{(subscription.MessagesDelivered == 1 ? "" : "s")}");

    private async Task<string> ReplyAsync(Activity activity, string text, CancellationToken cancellationToken)
    {
        await SendAsync(activity, Activity.CreateText(text), cancellationToken).ConfigureAwait(false);
        return text;
    }

    private Task SendCardAsync(Activity activity, JsonObject card, string summary, CancellationToken cancellationToken) =>
        SendAsync(activity, Activity.CreateCard(card, summary), cancellationToken);

    // In a channel, answer in the thread of the message; elsewhere, post to the conversation.
    private async Task SendAsync(Activity inbound, Activity outbound, CancellationToken cancellationToken)
    {
        var serviceUrl = inbound.ServiceUrl!;
        var conversationId = inbound.Conversation!.Id!;
        outbound = outbound with { From = inbound.Recipient, Conversation = new ConversationAccount { Id = conversationId } };
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

    // Echoed user text goes into Markdown messages: escape it so it cannot format, link or mention.
    private static string EscapeText(string text) => AdaptiveCardRenderer.Escape(text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {Command} in {Conversation}")]
    private static partial void LogCommand(ILogger logger, string command, string conversation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed in {Conversation}")]
    private static partial void LogInstalled(ILogger logger, string conversation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed from {Conversation}; subscription deactivated, data kept")]
    private static partial void LogRemoved(ILogger logger, string conversation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connector says {Conversation} is gone; deactivating it")]
    private static partial void LogConversationGone(ILogger logger, string conversation, Exception exception);
}
