using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>One subscription to send to: the planner's output and a queue message's body. It names the subscription and
/// the plan (its time), never the papers: the sender reads the subscription's Pending rows, so a request handled twice
/// sends nothing twice.</summary>
public sealed record DeliveryRequest(ConversationKey Key, DateTimeOffset PlannedAt);
