using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Cards;
using Digest.Platforms.Teams.Connector;
using Digest.Platforms.Teams.Schema;
using Digest.Papers;
using Digest.Rules;
using Digest.Storage;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Delivery;

/// <summary>What happened to one due subscription in a run.</summary>
public enum DeliveryOutcome
{
    /// <summary>Nothing new matched; the watermark moved on.</summary>
    NothingToSend,

    /// <summary>Every planned paper was sent and marked Sent.</summary>
    Sent,

    /// <summary>The connector said the bot is gone from the conversation: the subscription was deactivated, its data kept.</summary>
    Deactivated,

    /// <summary>Sending or storage failed; Pending rows stay and the next run sends them.</summary>
    Failed,
}

/// <summary>One due subscription's result; <paramref name="Failure"/> says why the connector refused, when it did;
/// <paramref name="DeadLettered"/> counts the papers whose rows this run made <see cref="DeliveryState.Failed"/>.</summary>
public sealed record SubscriptionDelivery(ConversationKey Key, DeliveryOutcome Outcome, int PapersSent, int MessagesSent, ConnectorFailure? Failure = null, int DeadLettered = 0);

/// <summary>What a <see cref="NotifySubscribers.RunAsync"/> did.</summary>
/// <param name="RulesIndexed">Rules of all due subscriptions, compiled into the one <see cref="RuleIndex"/> of the run.</param>
/// <param name="PapersConsidered">New papers matched against that index.</param>
/// <param name="Subscriptions">Each due subscription's result, in the order they were handled.</param>
public sealed record DeliveryReport(int RulesIndexed, int PapersConsidered, IReadOnlyList<SubscriptionDelivery> Subscriptions)
{
    public int MessagesSent => Subscriptions.Sum(subscription => subscription.MessagesSent);

    public int PapersSent => Subscriptions.Sum(subscription => subscription.PapersSent);

    /// <summary>Papers given up on in this run: their rows reached <see cref="DeliveryOptions.MaxAttempts"/>.</summary>
    public int DeadLettered => Subscriptions.Sum(subscription => subscription.DeadLettered);

    public SubscriptionDelivery? For(ConversationKey key) => Subscriptions.FirstOrDefault(subscription => subscription.Key == key);
}

/// <summary>
/// The notifier step: sends each due subscription the new papers its rules match, through an outbox so that a
/// (subscription, paper) pair is delivered at most once.
/// </summary>
/// <remarks>
/// <para>Per run: the due subscriptions (active, with rules; <see cref="DeliverySchedule"/>) are read; the papers first
/// seen since the earliest of their watermarks are matched against all their rules in one <see cref="RuleIndex"/>; then
/// each subscription, on its own (one failing never stops the others): (1) plan: insert a Pending row per matched paper
/// unless a row exists (a row is a receipt: planned or delivered, so never planned twice); (2) send every Pending row
/// (also ones an earlier run left behind, once their lease has passed) as Adaptive Cards, at most <see cref="DeliveryOptions.MaxPapersPerMessage"/>
/// papers each; (3) mark the rows Sent with the activity id; (4) advance the watermark and <c>LastDeliveryAt</c>.</para>
/// <para>A crash between (1) and (2) loses nothing: the next run sends the Pending rows. A crash, or a lost response,
/// after the connector accepted a message but before (3) makes the next run send those papers once more: the Bot
/// Connector has no idempotency key, so that window cannot be closed from this side. It is one message, at most once
/// per crash, never a loop.</para>
/// <para>A failed send (any <see cref="ConnectorException"/> but a gone conversation or the bot's own credentials) leaves
/// that message's rows Pending with one more <see cref="DeliveryRow.Attempts"/>; at <see cref="DeliveryOptions.MaxAttempts"/>
/// they become <see cref="DeliveryState.Failed"/>, dead letters that are reported and never sent again.</para>
/// </remarks>
public sealed partial class NotifySubscribers(
    SubscriptionStore subscriptions,
    PaperStore papers,
    DigestStorage storage,
    DeliveryOutbox outbox,
    BotConnectorClient connector,
    AdaptiveCardRenderer cards,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<NotifySubscribers> logger)
{
    private readonly DeliveryOptions _options = options.Value;

    /// <summary>Runs the step once.</summary>
    public async Task<DeliveryReport> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

        // One scan of each table, however many subscriptions: the rules of every active subscription are read together.
        var active = new List<Subscription>();
        await foreach (var subscription in subscriptions.ListActiveAsync(cancellationToken).ConfigureAwait(false))
        {
            if (DeliverySchedule.IsDue(subscription.Mode, subscription.DeliveryWatermark, now))
            {
                active.Add(subscription);
            }
        }

        var rulesByKey = active.Count == 0
            ? new Dictionary<ConversationKey, IReadOnlyList<StoredRule>>()
            : await subscriptions.ListRulesOfAsync(active.Select(subscription => subscription.Key), cancellationToken).ConfigureAwait(false);
        var due = new List<DueSubscription>();
        foreach (var subscription in active)
        {
            if (rulesByKey.TryGetValue(subscription.Key, out var stored) && Compile(subscription.Key, stored) is { Count: > 0 } parsed)
            {
                due.Add(new DueSubscription(subscription, parsed, Since(subscription, now)));
            }
        }

        if (due.Count == 0)
        {
            return new DeliveryReport(0, 0, []);
        }

        var changed = await ChangedPapers.ReadAsync(papers, due.Min(subscription => subscription.Since), cancellationToken).ConfigureAwait(false);
        var index = RuleIndex.Build(due.SelectMany(subscription => subscription.Rules));
        var candidatesByOwner = Candidates(index, changed, due);
        var papersById = changed.Current.ToDictionary(paper => paper.Id, StringComparer.Ordinal);

        var results = new List<SubscriptionDelivery>(due.Count);
        foreach (var subscription in due)
        {
            if (results.Count > 0 && results[^1].Failure == ConnectorFailure.Unauthorized)
            {
                // The bot's own credentials were refused: every other send would fail the same way (docs/protocols.md
                // §3.5: stop the run's sends). Their papers stay unplanned until a later run.
                results.Add(new SubscriptionDelivery(subscription.Subscription.Key, DeliveryOutcome.Failed, 0, 0, ConnectorFailure.Unauthorized));
                continue;
            }

            results.Add(await DeliverAsync(subscription.Subscription, candidatesByOwner[subscription.Subscription.Key.PartitionKey], papersById, now, cancellationToken).ConfigureAwait(false));
        }

        var report = new DeliveryReport(index.Count, changed.Current.Count, results);
        LogRun(logger, due.Count, index.Count, changed.Current.Count, report.MessagesSent, report.PapersSent, report.DeadLettered);
        return report;
    }

    /// <summary>Delivers to one subscription now, whatever its mode (the bot's <c>digest</c> command), through the same
    /// outbox, receipts and watermark as the scheduled runs: a paper either path sent is never sent again.</summary>
    public async Task<SubscriptionDelivery> DeliverNowAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var now = time.GetUtcNow();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var rules = Compile(subscription.Key, await subscriptions.ListRulesAsync(subscription.Key, cancellationToken).ConfigureAwait(false));
        var due = new DueSubscription(subscription, rules, Since(subscription, now));
        var changed = await ChangedPapers.ReadAsync(papers, due.Since, cancellationToken).ConfigureAwait(false);
        var papersById = changed.Current.ToDictionary(paper => paper.Id, StringComparer.Ordinal);
        var candidates = Candidates(RuleIndex.Build(rules), changed, [due])[subscription.Key.PartitionKey];
        return await DeliverAsync(subscription, candidates, papersById, now, cancellationToken).ConfigureAwait(false);
    }

    // A rule stored under an older grammar is skipped rather than failing the subscription.
    private static List<IndexedRule> Compile(ConversationKey key, IReadOnlyList<StoredRule> rules) =>
        [.. rules.Select(rule => RuleParser.TryParse(rule.Text, out var compiled, out _) ? new IndexedRule(rule.RowKey, key.PartitionKey, compiled) : null)
            .OfType<IndexedRule>()];

    // Per subscription, one candidate per paper a rule matches that a change in the subscription's window re-opened
    // (ChangedPapers says which changes do), with the words of every rule that matched it, earliest re-opened first.
    // A paper re-opened only by upvote changes is left out where a rule of the subscription already matched it before
    // them: only a threshold crossing sends it.
    private static ILookup<string, Candidate> Candidates(RuleIndex index, ChangedPapers changed, IReadOnlyList<DueSubscription> due)
    {
        var sinceByOwner = due.ToDictionary(subscription => subscription.Subscription.Key.PartitionKey, subscription => subscription.Since, StringComparer.Ordinal);
        var matchedBefore = new HashSet<(string Owner, string PaperId)>();
        foreach (var since in sinceByOwner.Values.Distinct())
        {
            foreach (var match in index.Match(changed.UpvotesOnlyAsOf(since)).Where(match => sinceByOwner[match.OwnerId] == since))
            {
                matchedBefore.Add((match.OwnerId, match.PaperId));
            }
        }

        var papersById = changed.Current.ToDictionary(paper => paper.Id, StringComparer.Ordinal);
        return index.Match(changed.Current)
            .Select(match => (Match: match, ReopenedAt: changed.ReopenedAt(match.PaperId, sinceByOwner[match.OwnerId])))
            .Where(entry => entry.ReopenedAt is not null && !matchedBefore.Contains((entry.Match.OwnerId, entry.Match.PaperId)))
            .GroupBy(entry => (entry.Match.OwnerId, entry.Match.PaperId))
            .Select(group => (Owner: group.Key.OwnerId, ReopenedAt: group.First().ReopenedAt!.Value, Candidate: new Candidate(
                papersById[group.Key.PaperId],
                [.. group.SelectMany(entry => entry.Match.Words.ToArray()).Select(word => word.Text).Distinct(StringComparer.OrdinalIgnoreCase)])))
            .OrderBy(entry => entry.ReopenedAt)
            .ThenBy(entry => entry.Candidate.Paper.Id, StringComparer.Ordinal)
            .ToLookup(entry => entry.Owner, entry => entry.Candidate, StringComparer.Ordinal);
    }

    private DateTimeOffset Since(Subscription subscription, DateTimeOffset now) =>
        subscription.DeliveryWatermark is { } watermark ? watermark - _options.ChangeOverlap : now - _options.InitialLookBack;

    private async Task<SubscriptionDelivery> DeliverAsync(Subscription subscription, IEnumerable<Candidate> candidates, Dictionary<string, Paper> papersById, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = subscription.Key;
        var papersSent = 0;
        var messagesSent = 0;
        List<DeliveryRow> sending = [];
        try
        {
            // Rows an earlier run planned but did not mark sent (a crash, or a failed send) go out first. A row planned
            // less than the lease ago may belong to a run still sending it (a digest asked for in chat while the timer
            // runs): it is left alone. An older one is claimed with its ETag, so that only one run re-sends it.
            var pending = new List<DeliveryRow>();
            var pendingIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var row in await outbox.ListPendingAsync(key, cancellationToken).ConfigureAwait(false))
            {
                pendingIds.Add(row.PaperId);
                if (row.PlannedAt <= now - _options.PendingLease && await outbox.TryClaimAsync(row, now, cancellationToken).ConfigureAwait(false))
                {
                    pending.Add(row);
                }
            }

            foreach (var candidate in candidates.Where(candidate => !pendingIds.Contains(candidate.Paper.Id)))
            {
                if (await outbox.TryPlanAsync(key, candidate.Paper.Id, candidate.Highlights, now, cancellationToken).ConfigureAwait(false) is { } planned)
                {
                    pending.Add(planned);
                }
            }

            var items = await ToCardItemsAsync(pending, papersById, cancellationToken).ConfigureAwait(false);
            var messages = Split(items);
            for (var part = 0; part < messages.Count; part++)
            {
                var (card, sentItems) = Render(messages[part], part, messages.Count, items.Count);
                sending = [.. sentItems.Select(item => item.Row)];
                var activityId = await SendAsync(TeamsAddress.Read(subscription.Address), Activity.CreateCard(card, Heading(items.Count)), cancellationToken).ConfigureAwait(false);
                messagesSent++;
                await outbox.MarkSentAsync(sending, activityId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                sending = [];
                papersSent += sentItems.Count;
            }

            await subscriptions.UpdateAsync(key, null, current => Delivered(current, papersSent, messagesSent, now) with { DeliveryWatermark = now }, cancellationToken).ConfigureAwait(false);
            return new SubscriptionDelivery(key, messagesSent > 0 ? DeliveryOutcome.Sent : DeliveryOutcome.NothingToSend, papersSent, messagesSent);
        }
        catch (ConnectorException exception) when (exception.IsTerminalForConversation)
        {
            LogDeactivated(logger, key.ToString(), exception.StatusCode, exception.ErrorCode, exception);
            return await DeactivateAsync(key, papersSent, messagesSent, cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectorException exception) when (exception.Failure == ConnectorFailure.Unauthorized)
        {
            // The bot's own credentials, not this message: no attempt is counted against its papers.
            LogSendFailed(logger, key.ToString(), exception.Failure, exception);
            if (messagesSent > 0)
            {
                await RecordPartialDeliveryAsync(key, papersSent, messagesSent, now, cancellationToken).ConfigureAwait(false);
            }

            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent, exception.Failure);
        }
        catch (ConnectorException exception)
        {
            // A timeout, the token endpoint, 5xx, a 429 beyond the retries, a refused payload: this message's papers stay
            // Pending for a later run, one attempt nearer to becoming dead letters.
            LogSendFailed(logger, key.ToString(), exception.Failure, exception);
            var deadLettered = await RecordFailedAttemptAsync(key, sending, exception.Message, cancellationToken).ConfigureAwait(false);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent, exception.Failure, deadLettered);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent);
        }
    }

    // Returns the id of the activity sent. To a Teams channel, every message is a new post in the channel, never a reply
    // in the thread where someone subscribed (a reference stored before channels were keyed by channel may still name one).
    private async Task<string?> SendAsync(ConversationReference reference, Activity activity, CancellationToken cancellationToken)
    {
        var conversationId = reference.Conversation.Id!;
        activity = activity with { From = reference.Bot };
        if (TeamsChannels.IsChannel(reference))
        {
            var channelId = TeamsChannels.SubscriptionConversationId(reference.ChannelId, conversationId);
            var post = await connector.CreateChannelPostAsync(reference.ServiceUrl, channelId, reference.Conversation.TenantId, reference.Bot, activity, cancellationToken).ConfigureAwait(false);
            return post.ActivityId;
        }

        var sent = await connector.SendToConversationAsync(reference.ServiceUrl, conversationId, activity with { Conversation = new ConversationAccount { Id = conversationId, TenantId = reference.Conversation.TenantId } }, cancellationToken).ConfigureAwait(false);
        return sent.Id;
    }

    // What status shows: the papers and messages that went out, counted even when a later message of the run failed.
    private static Subscription Delivered(Subscription current, int papersSent, int messagesSent, DateTimeOffset now) => messagesSent == 0
        ? current
        : current with
        {
            LastDeliveryAt = now,
            DeliveryCount = current.DeliveryCount + 1,
            PapersDelivered = current.PapersDelivered + papersSent,
            MessagesDelivered = current.MessagesDelivered + messagesSent,
        };

    // The watermark stays (the run did not finish); the messages that did go out are counted.
    private async Task RecordPartialDeliveryAsync(ConversationKey key, int papersSent, int messagesSent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            await subscriptions.UpdateAsync(key, null, current => Delivered(current, papersSent, messagesSent, now), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
        }
    }

    // Counts a failed send against the rows it carried; returns how many became dead letters.
    private async Task<int> RecordFailedAttemptAsync(ConversationKey key, List<DeliveryRow> rows, string error, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        try
        {
            var deadLettered = await outbox.RecordFailedAttemptAsync(rows, error, _options.MaxAttempts, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (deadLettered > 0)
            {
                LogDeadLettered(logger, key.ToString(), deadLettered, _options.MaxAttempts, error);
            }

            return deadLettered;
        }
        catch (RequestFailedException exception)
        {
            // The rows stay Pending with their old count: the attempt goes uncounted, nothing is lost.
            LogStorageFailed(logger, key.ToString(), exception);
            return 0;
        }
    }

    private async Task<SubscriptionDelivery> DeactivateAsync(ConversationKey key, int papersSent, int messagesSent, CancellationToken cancellationToken)
    {
        try
        {
            // Like the bot's removal: not installed any more, rules, receipts and Pending rows kept for a reinstall.
            await subscriptions.UpdateAsync(key, null, current => Delivered(current, papersSent, messagesSent, time.GetUtcNow()) with { Installed = false }, cancellationToken).ConfigureAwait(false);
            return new SubscriptionDelivery(key, DeliveryOutcome.Deactivated, papersSent, messagesSent);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent);
        }
    }

    private async Task<List<OutboxItem>> ToCardItemsAsync(List<DeliveryRow> rows, Dictionary<string, Paper> papersById, CancellationToken cancellationToken)
    {
        var missing = rows.Select(row => row.PaperId).Where(id => !papersById.ContainsKey(id)).ToList();
        var read = missing.Count == 0
            ? []
            : (await papers.ReadAsync(missing, cancellationToken).ConfigureAwait(false)).ToDictionary(pair => pair.Key, pair => pair.Value.ToPaper(), StringComparer.Ordinal);
        var items = new List<OutboxItem>(rows.Count);
        foreach (var row in rows)
        {
            if (papersById.TryGetValue(row.PaperId, out var paper) || read.TryGetValue(row.PaperId, out paper))
            {
                items.Add(new OutboxItem(row, new MatchedPaper(paper, row.Highlights.Split('\n', StringSplitOptions.RemoveEmptyEntries))));
            }
        }

        return items;
    }

    // At most MaxPapersPerMessage per message; a chunk whose card would pass the renderer's size budget is halved.
    private List<List<OutboxItem>> Split(List<OutboxItem> items)
    {
        var pending = new Stack<List<OutboxItem>>(items.Chunk(_options.MaxPapersPerMessage).Select(chunk => chunk.ToList()).Reverse());
        var messages = new List<List<OutboxItem>>();
        while (pending.TryPop(out var chunk))
        {
            if (chunk.Count > 1 && !FitsInOneCard(chunk, items.Count))
            {
                var half = chunk.Count / 2;
                pending.Push(chunk[half..]);
                pending.Push(chunk[..half]);
            }
            else
            {
                messages.Add(chunk);
            }
        }

        return messages;
    }

    // Measured with the longest heading a part can get, so the card sent never drops a paper into "…and N more".
    private bool FitsInOneCard(List<OutboxItem> chunk, int total) =>
        cards.Papers(Heading(total) + " (9999 of 9999)", [.. chunk.Select(item => item.Card)])["body"]!.AsArray().Count == 1 + chunk.Count;

    private (JsonObject Card, List<OutboxItem> Items) Render(List<OutboxItem> items, int part, int parts, int total)
    {
        var heading = parts == 1 ? Heading(total) : string.Create(CultureInfo.InvariantCulture, $"{Heading(total)} ({part + 1} of {parts})");
        return (cards.Papers(heading, [.. items.Select(item => item.Card)]), items);
    }

    private static string Heading(int total) =>
        string.Create(CultureInfo.InvariantCulture, $"{total} paper{(total == 1 ? "" : "s")} matched your rules");

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Notified {Due} due subscriptions: {Rules} rules over {Papers} new papers; {Messages} messages with {Sent} papers sent; {DeadLettered} papers given up (Failed)")]
    private static partial void LogRun(ILogger logger, int due, int rules, int papers, int messages, int sent, int deadLettered);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Conversation {Conversation} is gone ({Status} {ErrorCode}): subscription deactivated, its data kept")]
    private static partial void LogDeactivated(ILogger logger, string conversation, int? status, string? errorCode, Exception exception);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "Sending to {Conversation} failed ({Failure}); its pending papers are sent by the next run")]
    private static partial void LogSendFailed(ILogger logger, string conversation, ConnectorFailure failure, Exception exception);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Storage failed while delivering to {Conversation}; the next run retries")]
    private static partial void LogStorageFailed(ILogger logger, string conversation, Exception exception);

    [LoggerMessage(EventId = 1505, Level = LogLevel.Error, Message = "Gave up on {Count} papers for {Conversation} after {MaxAttempts} failed sends (last: {LastError}); their rows are Failed and are not sent again")]
    private static partial void LogDeadLettered(ILogger logger, string conversation, int count, int maxAttempts, string lastError);

    private sealed record DueSubscription(Subscription Subscription, List<IndexedRule> Rules, DateTimeOffset Since);

    private sealed record Candidate(Paper Paper, IReadOnlyList<string> Highlights);

    private sealed record OutboxItem(DeliveryRow Row, MatchedPaper Card);
}
