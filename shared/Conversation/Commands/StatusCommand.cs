using System.Globalization;
using Digest.Delivery;
using Digest.Subscriptions;

namespace Digest.Conversation.Commands;

/// <summary><c>status</c>: the crawl's last run, this conversation's subscription and what it was sent.</summary>
internal sealed class StatusCommand(SubscriptionStore store, IPaperSource papers, DeliveryOutbox outbox) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["status"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var subscription = await request.GetSubscriptionAsync(cancellationToken).ConfigureAwait(false);
        var crawl = await papers.GetCrawlStatusAsync(cancellationToken).ConfigureAwait(false);
        var ruleCount = (await store.ListRulesAsync(request.Key, cancellationToken).ConfigureAwait(false)).Count;
        var rows = await outbox.ListAsync(request.Key, cancellationToken).ConfigureAwait(false);
        var held = rows.Count(row => row.State == DeliveryState.Held);
        var sent = rows.Where(row => row.State == DeliveryState.Sent).ToList();
        // A message's papers share its time and id.
        var messages = sent.Select(row => (row.SentAt, row.ActivityId)).Distinct().Count();
        var state = !subscription.Subscribed ? "not subscribed" : subscription.Paused ? "subscribed, paused" : "subscribed";
        KeyValuePair<string, string>[] facts =
        [
            new("Last crawl", Time(crawl.LastCrawlAt)),
            new("Papers today", crawl.PapersToday.ToString(CultureInfo.InvariantCulture)),
            new("This conversation", state),
            new("Mode", subscription.Mode.ToString()),
            new("Quiet days", subscription.QuietDays?.ToString() ?? "none"),
            new("Limit", subscription.MessageLimit is { } limit ? $"{SubscribeCommand.Plural(limit, "paper")} a delivery" : "none"),
            new("Held back", held == 0 ? "none" : $"{SubscribeCommand.Plural(held, "paper")} (Show more, or type more)"),
            new("Nothing-matched note", subscription.NothingMatchedNote ? "on" : "off"),
            new("Rules", ruleCount.ToString(CultureInfo.InvariantCulture)),
            new("Delivered", messages == 0
                ? "nothing yet"
                : $"{SubscribeCommand.Plural(sent.Count, "paper")} in {SubscribeCommand.Plural(messages, "message")}"),
            new("Last delivery", Time(sent.Max(row => row.SentAt))),
        ];
        return CommandResult.Of(new FactsReply("Status", facts), $"Status: {state}.");
    }

    private static string Time(DateTimeOffset? at) => at?.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) ?? "never";
}
