using System.Collections.Concurrent;
using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Delivery;

/// <summary>What happened to one subscription in a run.</summary>
public enum DeliveryOutcome
{
    /// <summary>Nothing to send.</summary>
    NothingToSend,

    /// <summary>Every claimed paper was sent and marked Sent.</summary>
    Sent,

    /// <summary>The platform said the app is gone from the conversation: the subscription was deactivated, its data kept.</summary>
    Deactivated,

    /// <summary>Sending or storage failed; Pending rows stay and a later run sends them.</summary>
    Failed,
}

/// <summary>One subscription's result; <paramref name="Failure"/> says how a send failed, when one did;
/// <paramref name="DeadLettered"/> counts the papers whose rows this run made <see cref="DeliveryState.Failed"/>.</summary>
public sealed record SubscriptionDelivery(ConversationKey Key, DeliveryOutcome Outcome, int PapersSent, int MessagesSent, DeliveryFailureKind? Failure = null, int DeadLettered = 0)
{
    /// <summary>Papers held back behind "show more" (the subscription's cap) after this send.</summary>
    public int PapersHeld { get; init; }

    /// <summary>The "nothing matched" note of a daily or weekly digest was sent.</summary>
    public bool NothingNoted { get; init; }

    /// <summary>Nothing was sent because another sender holds the subscription's lease: it is sending now, or its send
    /// failed and its papers wait out <see cref="DeliveryOptions.PendingLease"/>.</summary>
    public bool LeftToAnotherSender { get; init; }
}

/// <summary>What a <see cref="NotifySubscribers.RunAsync"/> did.</summary>
/// <param name="RulesIndexed">Rules of all due subscriptions, compiled into the one index of the run.</param>
/// <param name="PapersConsidered">Papers that changes re-opened, matched against that index.</param>
/// <param name="Subscriptions">Each due subscription's result (<see cref="DeliveryOutcome.NothingToSend"/> when it had
/// nothing), and each subscription sent rows an earlier run left.</param>
public sealed record DeliveryReport(int RulesIndexed, int PapersConsidered, IReadOnlyList<SubscriptionDelivery> Subscriptions)
{
    public int MessagesSent => Subscriptions.Sum(subscription => subscription.MessagesSent);

    public int PapersSent => Subscriptions.Sum(subscription => subscription.PapersSent);

    /// <summary>Papers given up on in this run: their rows reached <see cref="DeliveryOptions.MaxAttempts"/>.</summary>
    public int DeadLettered => Subscriptions.Sum(subscription => subscription.DeadLettered);

    public SubscriptionDelivery? For(ConversationKey key) => Subscriptions.FirstOrDefault(subscription => subscription.Key == key);
}

/// <summary>
/// The notifier step in one process: the <see cref="DeliveryPlanner"/> plans, then the <see cref="DeliverySender"/>
/// sends to every subscription of the plan, several at once (<see cref="DeliveryOptions.MaxConcurrentSends"/>) under the
/// platforms' rate limits. One subscription's failure never stops the others; a platform that refuses the app's own
/// credentials stops the run's other sends to that platform, since every one would fail the same way.
/// </summary>
public sealed partial class NotifySubscribers(DeliveryPlanner planner, DeliverySender sender, IOptions<DeliveryOptions> options, ILogger<NotifySubscribers> logger)
{
    /// <summary>Runs the step once.</summary>
    public async Task<DeliveryReport> RunAsync(CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(sendHere: true, cancellationToken).ConfigureAwait(false);
        var results = new SubscriptionDelivery[plan.Requests.Count];
        // Per platform: Slack refusing its credentials says nothing about Teams', and the other way round.
        var unauthorized = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        async ValueTask SendAsync(int i, CancellationToken token)
        {
            var request = plan.Requests[i];
            if (unauthorized.ContainsKey(PlatformOf(request.Key)))
            {
                results[i] = new SubscriptionDelivery(request.Key, DeliveryOutcome.Failed, 0, 0, DeliveryFailureKind.Unauthorized);
                return;
            }

            results[i] = await sender.SendAsync(request, token).ConfigureAwait(false);
            if (results[i].Failure == DeliveryFailureKind.Unauthorized)
            {
                unauthorized.TryAdd(PlatformOf(request.Key), true);
            }
        }

        // The first send goes alone: refused credentials then cost one request, not one per concurrent send.
        if (plan.Requests.Count > 0)
        {
            await SendAsync(0, cancellationToken).ConfigureAwait(false);
        }

        await Parallel.ForEachAsync(
            Enumerable.Range(1, Math.Max(plan.Requests.Count - 1, 0)),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.MaxConcurrentSends, CancellationToken = cancellationToken },
            SendAsync).ConfigureAwait(false);

        var sent = results.Select(result => result.Key).ToHashSet();
        var report = new DeliveryReport(plan.RulesIndexed, plan.PapersConsidered,
            [.. results, .. plan.Due.Where(key => !sent.Contains(key)).Select(key => new SubscriptionDelivery(key, DeliveryOutcome.NothingToSend, 0, 0))]);
        LogRun(logger, plan.Due.Count, plan.RulesIndexed, plan.PapersConsidered, report.MessagesSent, report.PapersSent, report.DeadLettered);
        return report;
    }

    // The platform whose credentials a subscription's sends use, from its key alone (before its row is read).
    private static string PlatformOf(ConversationKey key) =>
        key.ChannelId == SlackAddress.ChannelId ? ConversationPlatforms.Slack : ConversationPlatforms.BotFramework;

    /// <summary>Delivers to one subscription now, whatever its mode (the bot's <c>digest</c> command), through the same
    /// outbox, receipts and watermark as the scheduled runs: a paper either path sent is never sent again.</summary>
    public async Task<SubscriptionDelivery> DeliverNowAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        return await planner.PlanOneAsync(subscription, cancellationToken).ConfigureAwait(false) is { } request
            ? await sender.SendAsync(request, cancellationToken).ConfigureAwait(false)
            : new SubscriptionDelivery(subscription.Key, DeliveryOutcome.NothingToSend, 0, 0);
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Notified {Due} due subscriptions: {Rules} rules over {Papers} re-opened papers; {Messages} messages with {Sent} papers sent; {DeadLettered} papers given up (Failed)")]
    private static partial void LogRun(ILogger logger, int due, int rules, int papers, int messages, int sent, int deadLettered);
}
