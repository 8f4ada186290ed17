using System.Diagnostics;
using System.Globalization;
using Azure;
using Digest.Papers;
using Digest.Rules;
using Digest.Subscriptions;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Delivery;

/// <summary>
/// The sending half of the notifier: sends one subscription its Pending rows through its platform's
/// <see cref="IPlatformMessenger"/>, and records what happened on the rows. Everything that can fail stays with that
/// subscription: the result says what happened, nothing is thrown but cancellation.
/// </summary>
/// <remarks>
/// <para>It sends while it holds the subscription's lease (<see cref="PendingDeliveries.TryLeaseAsync"/>), every row
/// then Pending: rows planned for this request, and rows an earlier sender left (a failed send keeps its lease until
/// <see cref="DeliveryOptions.PendingLease"/> has passed; a crash leaves it). A lease is taken conditional on the
/// marker's ETag, so two senders of one subscription never send a row twice.</para>
/// <para>A crash, or a lost answer, after the platform accepted a message but before its rows were marked Sent makes a
/// later sender send those papers once more: neither the Bot Connector nor Slack has an idempotency key, so that window
/// cannot be closed from this side. It is one message, at most once per crash, never a loop.</para>
/// </remarks>
public sealed partial class DeliverySender(
    SubscriptionStore subscriptions,
    FeedbackRanking ranking,
    PaperStore papers,
    DeliveryOutbox outbox,
    PendingDeliveries pending,
    IEnumerable<IPlatformMessenger> messengers,
    IOptions<DeliveryOptions> options,
    DigestMetrics metrics,
    TimeProvider time,
    ILogger<DeliverySender> logger)
{
    private readonly DeliveryOptions _options = options.Value;
    private readonly Dictionary<string, IPlatformMessenger> _messengers = messengers.ToDictionary(messenger => messenger.Platform, StringComparer.Ordinal);

    /// <summary>The name of the activity of one message sent; it links to the fetches that found its papers.</summary>
    public const string SendActivityName = "SendMessage";

    /// <summary>The heading of a delivery of <paramref name="total"/> papers.</summary>
    public static string Heading(int total) =>
        string.Create(CultureInfo.InvariantCulture, $"{total} paper{(total == 1 ? "" : "s")} matched your rules");

    /// <summary>Sends what is Pending for the request's subscription.</summary>
    public async Task<SubscriptionDelivery> SendAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = request.Key;
        var now = time.GetUtcNow();
        var progress = new Progress();
        return await GuardAsync(key, progress, async () =>
        {
            // The planner asks only for active subscriptions, and the digest command for any installed one.
            var subscription = request.Subscription ?? await subscriptions.GetAsync(key, cancellationToken).ConfigureAwait(false);
            if (subscription is not { Installed: true })
            {
                return new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0);
            }

            progress.Platform = TelemetryPlatform(subscription.Address.Platform);
            if (!_messengers.TryGetValue(subscription.Address.Platform, out var messenger))
            {
                // Nothing to send is not a failure, whichever platform the subscription is on.
                if ((await outbox.ListPendingAsync(key, cancellationToken).ConfigureAwait(false)).Count == 0)
                {
                    return new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0);
                }

                LogNoMessenger(logger, key.ToString(), subscription.Address.Platform);
                return new SubscriptionDelivery(key, DeliveryOutcome.Failed, 0, 0, DeliveryFailureKind.Transient);
            }

            // The lease makes this the subscription's one sender: every row it finds Pending is its to send.
            MarkerLease? lease;
            IReadOnlyList<DeliveryRow> rows;
            if (request is { Rows: { } planned, Lease: { } leased } && now - request.PlannedAt < _options.PendingLease / 2)
            {
                // The planner's lease, young enough that no other sender can take it over before this one is done.
                // Copies: the request's rows are changed below (held, failed).
                (lease, rows) = (leased, [.. planned.Select(row => row.Copy())]);
            }
            else
            {
                // An old lease of the planner's is still this sender's to take again; the rows are then listed.
                var attempt = await pending.TryLeaseAsync(key, request.Lease?.Id, now, _options.PendingLease, cancellationToken).ConfigureAwait(false);
                if (attempt.Held)
                {
                    LogLeaseHeld(logger, key.ToString());
                    return new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0) { LeftToAnotherSender = true };
                }

                // No marker: nothing is Pending (every row is marked before it is inserted).
                lease = attempt.Lease;
                rows = lease is null ? [] : await outbox.ListPendingAsync(key, cancellationToken).ConfigureAwait(false);
            }

            progress.Lease = lease;
            var items = await ranking.OrderAsync(subscription, await ToMatchedPapersAsync(rows, request.Papers, now, cancellationToken).ConfigureAwait(false), item => item.Paper.Paper, cancellationToken).ConfigureAwait(false);
            var heading = Heading(items.Count);
            var held = new HeldBack(null, 0);
            if (subscription.MessageLimit is { } limit && items.Count > 0)
            {
                // Held before the first N are sent: a crash in between leaves those N Pending for a later run, and the
                // rest safe behind the button.
                held = await HoldAsync(subscription.Key, [.. items.Skip(limit).Select(item => item.Row)], limit, now, cancellationToken).ConfigureAwait(false);
                if (items.Count > limit)
                {
                    heading = string.Create(CultureInfo.InvariantCulture, $"{heading}, {limit} shown");
                    items = [.. items.Take(limit)];
                }
            }

            await SendMessagesAsync(subscription, messenger, heading, items, held.More, progress, cancellationToken).ConfigureAwait(false);
            var noted = items.Count == 0 && rows.Count == 0 && request.NothingNote
                && await SendNothingNoteAsync(subscription, messenger, request.PlannedAt, cancellationToken).ConfigureAwait(false);
            // Every row that was Pending is now Sent, Held or Failed: the marker can go, unless a planner marked the
            // subscription again since the lease (new rows), which keeps it for the next sender.
            if (lease is not null)
            {
                await pending.ClearAsync(lease, cancellationToken).ConfigureAwait(false);
            }

            return new SubscriptionDelivery(key, progress.MessagesSent > 0 ? DeliveryOutcome.Sent : DeliveryOutcome.NothingToSend, progress.PapersSent, progress.MessagesSent)
            {
                PapersHeld = held.Count,
                NothingNoted = noted,
            };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the next batch of papers held back by the subscription's cap: the batch a "show more" button names, or, with
    /// none named (the <c>more</c> command typed), the first one waiting. Its rows are claimed first, so a second click on
    /// the same button, at once or later, sends nothing: they are claimed or Sent. The message carries a "show more"
    /// button of its own when papers are still held.
    /// </summary>
    public async Task<SubscriptionDelivery> SendHeldAsync(Subscription subscription, string? batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var key = subscription.Key;
        var now = time.GetUtcNow();
        var progress = new Progress { Platform = TelemetryPlatform(subscription.Address.Platform) };
        return await GuardAsync(key, progress, async () =>
        {
            var held = await outbox.ListHeldAsync(key, cancellationToken).ConfigureAwait(false);
            if (!_messengers.TryGetValue(subscription.Address.Platform, out var messenger))
            {
                LogNoMessenger(logger, key.ToString(), subscription.Address.Platform);
                return new SubscriptionDelivery(key, DeliveryOutcome.Failed, 0, 0, DeliveryFailureKind.Transient) { PapersHeld = held.Count };
            }

            var free = held.Where(row => IsFree(row, now)).ToList();
            batch ??= free.FirstOrDefault()?.HeldBatch;
            var claimed = await outbox.ClaimAsync([.. free.Where(row => row.HeldBatch == batch)], now, cancellationToken).ConfigureAwait(false);
            var claimedKeys = claimed.Select(row => row.RowKey).ToHashSet(StringComparer.Ordinal);
            var rest = held.Where(row => !claimedKeys.Contains(row.RowKey)).ToList();
            if (claimed.Count == 0)
            {
                return new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0) { PapersHeld = rest.Count };
            }

            var items = await ToMatchedPapersAsync(claimed, null, now, cancellationToken).ConfigureAwait(false);
            var next = rest.FirstOrDefault(row => IsFree(row, now))?.HeldBatch;
            var more = next is null ? (ValueTuple<string, string>?)null : ShowMoreButton.For(rest.Count(row => row.HeldBatch == next), rest.Count, next);
            var heading = string.Create(CultureInfo.InvariantCulture, $"{items.Count} more paper{(items.Count == 1 ? "" : "s")} that matched your rules");
            await SendMessagesAsync(subscription, messenger, heading, items, more, progress, cancellationToken).ConfigureAwait(false);
            return new SubscriptionDelivery(key, progress.MessagesSent > 0 ? DeliveryOutcome.Sent : DeliveryOutcome.NothingToSend, progress.PapersSent, progress.MessagesSent)
            {
                PapersHeld = rest.Count,
            };
        }, cancellationToken).ConfigureAwait(false);
    }

    // Holds the papers beyond the cap, and the ones held before that are not being sent by a click, in that order, in
    // one chain of batches of the cap's size: the new digest's button offers them all, older buttons find nothing left.
    private async Task<HeldBack> HoldAsync(ConversationKey key, List<DeliveryRow> overflow, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var earlier = (await outbox.ListHeldAsync(key, cancellationToken).ConfigureAwait(false)).Where(row => IsFree(row, now));
        List<DeliveryRow> queue = [.. overflow, .. earlier];
        if (queue.Count == 0)
        {
            return new HeldBack(null, 0);
        }

        // Ticks first, so that chains sort in the order they were made; a random tail, so that two never share a name.
        var chain = string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks:D19}{Guid.NewGuid():N}")[..25];
        var held = await outbox.HoldAsync(queue, chain, limit, cancellationToken).ConfigureAwait(false);
        return held.Count == 0
            ? new HeldBack(null, 0)
            : new HeldBack(ShowMoreButton.For(held.Count(row => row.HeldBatch == held[0].HeldBatch), held.Count, held[0].HeldBatch!), held.Count);
    }

    // Sends the papers in as many messages as the platform needs; the last one carries the "show more" button.
    private async Task SendMessagesAsync(Subscription subscription, IPlatformMessenger messenger, string heading, List<(DeliveryRow Row, MatchedPaper Paper)> items,
        (string Title, string Command)? more, Progress progress, CancellationToken cancellationToken)
    {
        var messages = items.Count == 0 ? [] : messenger.Split(heading, [.. items.Select(item => item.Paper)], _options.MaxPapersPerMessage);
        var offset = 0;
        for (var part = 0; part < messages.Count; part++)
        {
            var papersOfPart = messages[part];
            progress.Sending = [.. items.Skip(offset).Take(papersOfPart.Count).Select(item => item.Row)];
            offset += papersOfPart.Count;
            var partHeading = messages.Count == 1 ? heading : string.Create(CultureInfo.InvariantCulture, $"{heading} ({part + 1} of {messages.Count})");
            // A trace follows a paper from the fetch that found it to the message that carried it.
            using var activity = DigestTelemetry.StartLinkedActivity(SendActivityName, progress.Sending.Select(row => row.TraceParent), ActivityKind.Producer);
            activity?.SetTag(DigestMetrics.PlatformTag, progress.Platform);
            string? messageId;
            try
            {
                messageId = await messenger.SendAsync(subscription.Address, partHeading, papersOfPart, part == messages.Count - 1 ? more : null, cancellationToken).ConfigureAwait(false);
            }
            catch (DeliveryFailedException exception)
            {
                DigestTelemetry.RecordFailure(activity, exception);
                throw;
            }

            progress.MessagesSent++;
            metrics.MessagesSent(progress.Platform);
            await outbox.MarkSentAsync(progress.Sending, messageId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            progress.Sending = [];
            progress.PapersSent += papersOfPart.Count;
        }
    }

    // The note of a daily or weekly digest that found nothing: claimed for its period on the subscription first, so that
    // a request handled twice sends one note (at most once: a send that fails after the claim is not made up).
    private async Task<bool> SendNothingNoteAsync(Subscription subscription, IPlatformMessenger messenger, DateTimeOffset plannedAt, CancellationToken cancellationToken)
    {
        if (subscription.Mode.Cadence == DeliveryCadence.Instant || DeliverySchedule.CurrentDeliveryTime(subscription.Mode, plannedAt) is not { } period
            || !await subscriptions.TryClaimNothingNoteAsync(subscription.Key, period, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await messenger.SendNoteAsync(subscription.Address, NothingMatchedNote(subscription.Mode.Cadence), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The text of the "nothing matched" note of a daily or weekly digest.</summary>
    public static string NothingMatchedNote(DeliveryCadence cadence) =>
        cadence == DeliveryCadence.Weekly ? "Nothing matched your rules this week." : "Nothing matched your rules today.";

    // Everything that can fail stays with the subscription: the result says what happened.
    private async Task<SubscriptionDelivery> GuardAsync(ConversationKey key, Progress progress, Func<Task<SubscriptionDelivery>> send, CancellationToken cancellationToken)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (DeliveryFailedException exception) when (exception.Kind == DeliveryFailureKind.ConversationGone)
        {
            LogDeactivated(logger, key.ToString(), exception);
            metrics.SubscriptionDeactivated(progress.Platform, exception.Kind.ToString());
            return await DeactivateAsync(key, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (DeliveryFailedException exception) when (exception.Kind == DeliveryFailureKind.Unauthorized)
        {
            // The app's own credentials, not this message: no attempt is counted against its papers.
            LogSendFailed(logger, key.ToString(), exception.Kind, exception);
            RecordFailedSend(progress.Platform, exception, retried: true);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, progress.PapersSent, progress.MessagesSent, exception.Kind);
        }
        catch (DeliveryFailedException exception)
        {
            // A timeout, a token endpoint, 5xx, a 429 beyond the retries, a refused payload: this message's papers stay
            // Pending (or Held) for a later run (or click), one attempt nearer to becoming dead letters.
            LogSendFailed(logger, key.ToString(), exception.Kind, exception);
            var deadLettered = await RecordFailedAttemptAsync(key, progress.Sending, exception.Message, _options.MaxAttempts, cancellationToken).ConfigureAwait(false);
            RecordFailedSend(progress.Platform, exception, retried: deadLettered == 0);
            if (deadLettered > 0)
            {
                metrics.MessageDeadLettered(progress.Platform);
            }

            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, progress.PapersSent, progress.MessagesSent, exception.Kind, deadLettered);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, progress.PapersSent, progress.MessagesSent);
        }
    }

    // A held row no click is sending: never claimed, or its claim is older than the lease (that click failed or died).
    private bool IsFree(DeliveryRow row, DateTimeOffset now) => row.ClaimedAt is not { } claimed || claimed <= now - _options.PendingLease;

    private sealed record HeldBack((string Title, string Command)? More, int Count);

    // What a send did so far, for the failure handlers: the counts, and the rows of the message being sent.
    private sealed class Progress
    {
        public string Platform { get; set; } = TelemetryPlatforms.Teams;

        public int PapersSent { get; set; }

        public int MessagesSent { get; set; }

        public List<DeliveryRow> Sending { get; set; } = [];

        /// <summary>The subscription's lease while this sender holds it. A failed send keeps it, so that its papers
        /// wait <see cref="DeliveryOptions.PendingLease"/> before a later run tries them again.</summary>
        public MarkerLease? Lease { get; set; }
    }

    // A failed message: by reason, throttled when the platform said so, and retried when its papers stay Pending for a
    // later attempt (not when they became dead letters).
    private void RecordFailedSend(string platform, DeliveryFailedException exception, bool retried)
    {
        metrics.MessageFailed(platform, exception.Kind.ToString());
        if (exception.Throttled)
        {
            metrics.MessageThrottled(platform);
        }

        if (retried)
        {
            metrics.MessageRetried(platform);
        }
    }

    private static string TelemetryPlatform(string platform) =>
        platform == ConversationPlatforms.BotFramework ? TelemetryPlatforms.Teams : platform;

    // The papers of the rows, in the rows' order. A row whose paper is no longer stored cannot be sent: it becomes a
    // dead letter at once rather than blocking its subscription's marker for ever.
    // The planner's papers are used as they are; only the others are read.
    private async Task<List<(DeliveryRow Row, MatchedPaper Paper)>> ToMatchedPapersAsync(IReadOnlyList<DeliveryRow> rows, IReadOnlyDictionary<string, Paper>? known, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, Paper>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (known?.TryGetValue(row.PaperId, out var paper) == true)
            {
                found[row.PaperId] = paper;
            }
        }

        var toRead = rows.Select(row => row.PaperId).Where(id => !found.ContainsKey(id)).ToList();
        if (toRead.Count > 0)
        {
            foreach (var (id, row) in await papers.ReadAsync(toRead, cancellationToken).ConfigureAwait(false))
            {
                found[id] = row.ToPaper();
            }
        }

        var missing = rows.Where(row => !found.ContainsKey(row.PaperId)).ToList();
        if (missing.Count > 0)
        {
            await outbox.RecordFailedAttemptAsync(missing, "the paper is no longer stored", 1, now, cancellationToken).ConfigureAwait(false);
        }

        return [.. rows.Where(row => found.ContainsKey(row.PaperId))
            .Select(row => (row, new MatchedPaper(found[row.PaperId], row.Highlights.Split('\n', StringSplitOptions.RemoveEmptyEntries))))];
    }

    // Counts a failed send against the rows it carried; returns how many became dead letters.
    private async Task<int> RecordFailedAttemptAsync(ConversationKey key, List<DeliveryRow> rows, string error, int maxAttempts, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return 0;
        }

        try
        {
            var deadLettered = await outbox.RecordFailedAttemptAsync(rows, error, maxAttempts, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (deadLettered > 0)
            {
                LogDeadLettered(logger, key.ToString(), deadLettered, maxAttempts, error);
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

    private async Task<SubscriptionDelivery> DeactivateAsync(ConversationKey key, Progress progress, CancellationToken cancellationToken)
    {
        try
        {
            // Like the app's removal: not installed any more, rules, receipts and Pending rows kept (marked) for a
            // reinstall, whose first sender need not wait for this one's lease.
            await subscriptions.UpdateAsync(key, null, current => current with { Installed = false }, cancellationToken).ConfigureAwait(false);
            if (progress.Lease is { } lease)
            {
                await pending.ReleaseAsync(lease, cancellationToken).ConfigureAwait(false);
            }

            return new SubscriptionDelivery(key, DeliveryOutcome.Deactivated, progress.PapersSent, progress.MessagesSent, DeliveryFailureKind.ConversationGone);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, progress.PapersSent, progress.MessagesSent);
        }
    }

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Conversation {Conversation} is gone: subscription deactivated, its data kept")]
    private static partial void LogDeactivated(ILogger logger, string conversation, Exception exception);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "Sending to {Conversation} failed ({Failure}); its pending papers are sent by a later run")]
    private static partial void LogSendFailed(ILogger logger, string conversation, DeliveryFailureKind failure, Exception exception);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Storage failed while delivering to {Conversation}; a later run retries")]
    private static partial void LogStorageFailed(ILogger logger, string conversation, Exception exception);

    [LoggerMessage(EventId = 1506, Level = LogLevel.Error, Message = "{Count} papers for {Conversation} failed {MaxAttempts} sends and are dead letters, never sent again; last error: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string conversation, int count, int maxAttempts, string error);

    [LoggerMessage(EventId = 1509, Level = LogLevel.Information, Message = "Another sender is sending to {Conversation}; left to it")]
    private static partial void LogLeaseHeld(ILogger logger, string conversation);

    [LoggerMessage(EventId = 1507, Level = LogLevel.Error, Message = "No messenger for platform {Platform} of {Conversation}; its papers stay Pending")]
    private static partial void LogNoMessenger(ILogger logger, string conversation, string platform);
}
