using System.Collections.Concurrent;

namespace Digest.Bot;

/// <summary>Remembers recently accepted activity ids so a channel's retry of the same activity is acknowledged
/// without being handled twice (docs/protocols.md §2.5 B21).</summary>
public sealed class RecentActivities(TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    /// <summary>True the first time a (conversation, activity id) pair is seen within the window.</summary>
    public bool TryAdd(string conversationId, string activityId)
    {
        var now = time.GetUtcNow();
        if (_seen.Count > MaxEntries)
        {
            foreach (var (key, seenAt) in _seen)
            {
                if (now - seenAt > Window)
                {
                    _seen.TryRemove(key, out _);
                }
            }
        }

        var added = true;
        _seen.AddOrUpdate(conversationId + "\n" + activityId, now, (_, seenAt) =>
        {
            if (now - seenAt > Window)
            {
                return now;
            }

            added = false;
            return seenAt;
        });
        return added;
    }

    /// <summary>Forgets a pair that was refused before any work (busy), so the channel's retry of it is handled.</summary>
    public void Forget(string conversationId, string activityId) => _seen.TryRemove(conversationId + "\n" + activityId, out _);
}
