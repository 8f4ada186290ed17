using Digest.Caching;

namespace Digest.Bot;

/// <summary>Remembers recently accepted activity ids so a channel's retry of the same activity is acknowledged
/// without being handled twice (docs/protocols.md §2.5 B21): for 10 minutes, or, under a load of more than 50,000
/// activities in that time, for the last 50,000 at least (a channel retries within seconds).</summary>
public sealed class RecentActivities(TimeProvider time)
{
    private readonly RecentMap<string, bool> _seen = new(TimeSpan.FromMinutes(10), 50_000, time, StringComparer.Ordinal);

    /// <summary>True the first time a (conversation, activity id) pair is seen within the window.</summary>
    public bool TryAdd(string conversationId, string activityId) => _seen.TryAdd(conversationId + "\n" + activityId, true);

    /// <summary>Forgets a pair that was refused before any work (busy), so the channel's retry of it is handled.</summary>
    public void Forget(string conversationId, string activityId) => _seen.Remove(conversationId + "\n" + activityId);
}
