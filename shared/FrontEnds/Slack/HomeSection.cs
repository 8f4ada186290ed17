using Digest.Subscriptions;

namespace Digest.FrontEnds.Slack;

/// <summary>One subscription on a person's App Home: their own (<paramref name="ChannelId"/> null) or a channel's they
/// manage, as stored now (null when it has none yet), with its rules.</summary>
public sealed record HomeSection(string? ChannelId, Subscription? Subscription, IReadOnlyList<StoredRule> Rules);
