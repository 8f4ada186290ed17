using Microsoft.Extensions.Logging;

namespace Digest.Delivery.Queue;

/// <summary>What a <see cref="DeliveryDispatcher.PlanAndEnqueueAsync"/> did: the plan, and the messages it queued.</summary>
public sealed record DispatchReport(DeliveryPlan Plan, int Enqueued);

/// <summary>
/// The <c>NotifySubscribers</c> step of the hosts that scale out: plans (<see cref="DeliveryPlanner"/>) and puts one
/// message per subscription to send to on the delivery queue, for <see cref="DeliveryConsumer"/> instances to send.
/// </summary>
public sealed partial class DeliveryDispatcher(DeliveryPlanner planner, DeliveryQueue queue, ILogger<DeliveryDispatcher> logger)
{
    /// <summary>Runs the step once.</summary>
    public async Task<DispatchReport> PlanAndEnqueueAsync(CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(cancellationToken).ConfigureAwait(false);
        var enqueued = await queue.EnqueueAsync(plan.Requests, cancellationToken).ConfigureAwait(false);
        LogDispatched(logger, plan.Due.Count, plan.RulesIndexed, plan.PapersConsidered, plan.PapersPlanned, enqueued);
        return new DispatchReport(plan, enqueued);
    }

    [LoggerMessage(EventId = 1513, Level = LogLevel.Information, Message = "Planned {Due} due subscriptions: {Rules} rules over {Papers} re-opened papers, {Planned} papers planned; {Enqueued} deliveries queued")]
    private static partial void LogDispatched(ILogger logger, int due, int rules, int papers, int planned, int enqueued);
}
