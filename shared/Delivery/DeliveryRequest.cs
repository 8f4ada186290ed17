using System.Text.Json.Serialization;
using Digest.Papers;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>One subscription to send to: the planner's output and a queue message's body. It names the subscription and
/// the plan (its time), never the papers: the sender reads the subscription's Pending rows, so a request handled twice
/// sends nothing twice.</summary>
/// <remarks>A request the planner hands to a sender in the same process also carries what the planner has just read, so
/// that the sender does not read it again: the subscription, its pending marker's ETag, its rows and the papers of the run. They
/// are never serialized; a request without them (a queue message) makes the sender read them.</remarks>
public sealed record DeliveryRequest(ConversationKey Key, DateTimeOffset PlannedAt)
{
    /// <summary>The subscription's daily or weekly digest is due in this plan and asks for a "nothing matched" note: the
    /// sender sends it when there is nothing to send. Carried by the queue message.</summary>
    public bool NothingNote { get; init; }

    /// <summary>The subscription as the planner read it at the start of the run.</summary>
    [JsonIgnore]
    public Subscription? Subscription { get; init; }

    /// <summary>With <see cref="Rows"/>: the sending lease the planner took, for this request's sender, on the pending
    /// marker it created before inserting the rows and found untouched after (<see cref="PendingDeliveries.MarkAgainAsync"/>),
    /// taken at <see cref="DeliveryRequest.PlannedAt"/>.</summary>
    [JsonIgnore]
    public MarkerLease? Lease { get; init; }

    /// <summary>With <see cref="Lease"/>, the subscription's Pending rows as the planner inserted them (with their ETags):
    /// all there is to send, since nobody else could lease the marker between the planner's two writes. The sender sends
    /// them without listing the rows, and without a request for the lease while it is young.</summary>
    [JsonIgnore]
    public IReadOnlyList<DeliveryRow>? Rows { get; init; }

    /// <summary>Papers by id, as the planner read them; the sender reads any other paper its rows name.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, Paper>? Papers { get; init; }
}
