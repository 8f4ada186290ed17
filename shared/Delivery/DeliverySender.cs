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
/// <para>The rows it sends are the ones it claims (<see cref="DeliveryOutbox.ClaimAsync"/>): rows planned for this
/// request, and rows an earlier sender left (a failed send, a crash) once <see cref="DeliveryOptions.PendingLease"/> has
/// passed since they were planned or claimed. A claim is conditional on the row's ETag, so two senders of one request never
/// send a row twice.</para>
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
        var papersSent = 0;
        var messagesSent = 0;
        var platform = TelemetryPlatforms.Teams;
        List<DeliveryRow> sending = [];
        try
        {
            // The planner asks only for active subscriptions, and the digest command for any installed one.
            var subscription = request.Subscription ?? await subscriptions.GetAsync(key, cancellationToken).ConfigureAwait(false);
            if (subscription is not { Installed: true })
            {
                return new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0);
            }

            platform = TelemetryPlatform(subscription.Address.Platform);
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

            // Read before the rows, so that clearing it fails if a planner marks the subscription again meanwhile.
            var marker = request.MarkerETag ?? await pending.GetETagAsync(key, cancellationToken).ConfigureAwait(false);
            // Copies: a request handled twice at once must not share the rows it claims.
            var listed = request.Rows is { } planned
                ? [.. planned.Select(row => row.Copy())]
                : await outbox.ListPendingAsync(key, cancellationToken).ConfigureAwait(false);
            var rows = await outbox.ClaimAsync([.. listed.Where(row => IsClaimable(row, request, now))], now, cancellationToken).ConfigureAwait(false);
            var items = await ranking.OrderAsync(subscription, await ToMatchedPapersAsync(rows, request.Papers, now, cancellationToken).ConfigureAwait(false), item => item.Paper.Paper, cancellationToken).ConfigureAwait(false);
            var heading = Heading(items.Count);
            var messages = items.Count == 0 ? [] : messenger.Split(heading, [.. items.Select(item => item.Paper)], _options.MaxPapersPerMessage);
            var offset = 0;
            for (var part = 0; part < messages.Count; part++)
            {
                var papersOfPart = messages[part];
                sending = [.. items.Skip(offset).Take(papersOfPart.Count).Select(item => item.Row)];
                offset += papersOfPart.Count;
                var partHeading = messages.Count == 1 ? heading : string.Create(CultureInfo.InvariantCulture, $"{heading} ({part + 1} of {messages.Count})");
                // A trace follows a paper from the fetch that found it to the message that carried it.
                using var activity = DigestTelemetry.StartLinkedActivity(SendActivityName, sending.Select(row => row.TraceParent), ActivityKind.Producer);
                activity?.SetTag(DigestMetrics.PlatformTag, platform);
                string? messageId;
                try
                {
                    messageId = await messenger.SendAsync(subscription.Address, partHeading, papersOfPart, cancellationToken).ConfigureAwait(false);
                }
                catch (DeliveryFailedException exception)
                {
                    DigestTelemetry.RecordFailure(activity, exception);
                    throw;
                }

                messagesSent++;
                metrics.MessagesSent(platform);
                await outbox.MarkSentAsync(sending, messageId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                sending = [];
                papersSent += papersOfPart.Count;
            }

            await RecordDeliveredAsync(subscription, papersSent, messagesSent, now, cancellationToken).ConfigureAwait(false);
            // Every row that was Pending is now Sent or Failed: the marker can go. Rows planned since make a planner
            // mark the subscription again after inserting them, which changes the marker's ETag and keeps it.
            if (marker is { } etag && rows.Count == listed.Count)
            {
                await pending.TryClearAsync(key, etag, cancellationToken).ConfigureAwait(false);
            }

            return new SubscriptionDelivery(key, messagesSent > 0 ? DeliveryOutcome.Sent : DeliveryOutcome.NothingToSend, papersSent, messagesSent);
        }
        catch (DeliveryFailedException exception) when (exception.Kind == DeliveryFailureKind.ConversationGone)
        {
            LogDeactivated(logger, key.ToString(), exception);
            metrics.SubscriptionDeactivated(platform, exception.Kind.ToString());
            await RecordDeliveredAsync(key, papersSent, messagesSent, now, cancellationToken).ConfigureAwait(false);
            return await DeactivateAsync(key, papersSent, messagesSent, cancellationToken).ConfigureAwait(false);
        }
        catch (DeliveryFailedException exception) when (exception.Kind == DeliveryFailureKind.Unauthorized)
        {
            // The app's own credentials, not this message: no attempt is counted against its papers.
            LogSendFailed(logger, key.ToString(), exception.Kind, exception);
            RecordFailedSend(platform, exception, retried: true);
            await RecordDeliveredAsync(key, papersSent, messagesSent, now, cancellationToken).ConfigureAwait(false);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent, exception.Kind);
        }
        catch (DeliveryFailedException exception)
        {
            // A timeout, a token endpoint, 5xx, a 429 beyond the retries, a refused payload: this message's papers stay
            // Pending for a later run, one attempt nearer to becoming dead letters.
            LogSendFailed(logger, key.ToString(), exception.Kind, exception);
            await RecordDeliveredAsync(key, papersSent, messagesSent, now, cancellationToken).ConfigureAwait(false);
            var deadLettered = await RecordFailedAttemptAsync(key, sending, exception.Message, _options.MaxAttempts, cancellationToken).ConfigureAwait(false);
            RecordFailedSend(platform, exception, retried: deadLettered == 0);
            if (deadLettered > 0)
            {
                metrics.MessageDeadLettered(platform);
            }

            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent, exception.Kind, deadLettered);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent);
        }
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

    // This request's own rows, not yet claimed; or rows whose planning or claim is older than the lease.
    private bool IsClaimable(DeliveryRow row, DeliveryRequest request, DateTimeOffset now) =>
        (row.ClaimedAt is null && row.PlannedAt == request.PlannedAt) || (row.ClaimedAt ?? row.PlannedAt) <= now - _options.PendingLease;

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

    // What status shows: the papers and messages that went out, counted even when a later message of the run failed.
    private async Task RecordDeliveredAsync(ConversationKey key, int papersSent, int messagesSent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (messagesSent == 0)
        {
            return;
        }

        try
        {
            await subscriptions.UpdateAsync(key, null, current => Delivered(current, papersSent, messagesSent, now), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception)
        {
            // The counts are for show; the receipts on the rows are what matter, and they are written.
            LogStorageFailed(logger, key.ToString(), exception);
        }
    }

    // The same from the subscription as the planner read it: one write, unless the row changed since.
    private async Task RecordDeliveredAsync(Subscription subscription, int papersSent, int messagesSent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (messagesSent == 0)
        {
            return;
        }

        try
        {
            if (!await subscriptions.TryUpdateDeliveredAsync(Delivered(subscription, papersSent, messagesSent, now), cancellationToken).ConfigureAwait(false))
            {
                await RecordDeliveredAsync(subscription.Key, papersSent, messagesSent, now, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, subscription.Key.ToString(), exception);
        }
    }

    private static Subscription Delivered(Subscription current, int papersSent, int messagesSent, DateTimeOffset now) => current with
    {
        LastDeliveryAt = now,
        DeliveryCount = current.DeliveryCount + 1,
        PapersDelivered = current.PapersDelivered + papersSent,
        MessagesDelivered = current.MessagesDelivered + messagesSent,
    };

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

    private async Task<SubscriptionDelivery> DeactivateAsync(ConversationKey key, int papersSent, int messagesSent, CancellationToken cancellationToken)
    {
        try
        {
            // Like the app's removal: not installed any more, rules, receipts and Pending rows kept for a reinstall.
            await subscriptions.UpdateAsync(key, null, current => current with { Installed = false }, cancellationToken).ConfigureAwait(false);
            return new SubscriptionDelivery(key, DeliveryOutcome.Deactivated, papersSent, messagesSent, DeliveryFailureKind.ConversationGone);
        }
        catch (RequestFailedException exception)
        {
            LogStorageFailed(logger, key.ToString(), exception);
            return new SubscriptionDelivery(key, DeliveryOutcome.Failed, papersSent, messagesSent);
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

    [LoggerMessage(EventId = 1507, Level = LogLevel.Error, Message = "No messenger for platform {Platform} of {Conversation}; its papers stay Pending")]
    private static partial void LogNoMessenger(ILogger logger, string conversation, string platform);
}
