using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary>Paces <c>chat.postMessage</c> per (team, channel): one message per <c>Slack:ChannelMessageInterval</c>
/// (Slack allows about one per second per channel), so a burst of alerts to one channel waits its turn instead of
/// provoking 429s, while other channels go on. Each channel is a <see cref="ConcurrencyLimiter"/> of one permit,
/// and a message's permit is given back one interval after it was taken, by a timer on the injected
/// <see cref="TimeProvider"/>. (The token bucket limiter would be the obvious choice, but it checks the real clock
/// before replenishing, even when replenished by hand, so its pacing could not follow the app's clock.) A channel
/// whose permit is free and that nobody waits for carries no information and is dropped when room is needed; at most
/// <c>Slack:MaxTrackedChannels</c> exist.</summary>
internal sealed class SlackChannelRateLimiter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ConcurrencyLimiter> _limiters = new(StringComparer.Ordinal);
    private readonly SlackOptions _options;
    private readonly TimeProvider _time;

    public SlackChannelRateLimiter(IOptions<SlackOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options.Value;
        _time = time;
    }

    /// <summary>Channels currently tracked (for tests and diagnostics).</summary>
    public int TrackedChannels
    {
        get
        {
            lock (_lock)
            {
                return _limiters.Count;
            }
        }
    }

    /// <summary>Waits for the channel's turn; the next turn comes one interval later. Throws a retryable
    /// <see cref="SlackApiException"/> when too many messages already wait for this channel, or too many channels are
    /// busy at once.</summary>
    public async Task WaitTurnAsync(string teamId, string channel, CancellationToken cancellationToken)
    {
        ValueTask<RateLimitLease> waiting;
        lock (_lock)
        {
            var key = teamId + "/" + channel;
            if (!_limiters.TryGetValue(key, out var limiter))
            {
                if (_limiters.Count >= _options.MaxTrackedChannels)
                {
                    DropIdle();
                    if (_limiters.Count >= _options.MaxTrackedChannels)
                    {
                        throw Refused("channel_limiter_full", $"More than {_options.MaxTrackedChannels} channels (Slack:MaxTrackedChannels) are being sent to at once; try again later.");
                    }
                }

                limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                {
                    PermitLimit = 1,
                    QueueLimit = _options.ChannelQueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
                _limiters.Add(key, limiter);
            }

            // Asked under the lock: once held or queued the limiter is not idle, so it cannot be dropped meanwhile.
            waiting = limiter.AcquireAsync(1, cancellationToken);
        }

        var lease = await waiting.ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Refused("channel_queue_full", $"More than {_options.ChannelQueueLimit} messages (Slack:ChannelQueueLimit) already wait for this channel; try again later.");
        }

        ReleaseLater(lease);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var limiter in _limiters.Values)
            {
                limiter.Dispose();
            }

            _limiters.Clear();
        }
    }

    private void ReleaseLater(RateLimitLease lease)
    {
        var release = new DelayedRelease(lease);
        release.Timer = _time.CreateTimer(static state => ((DelayedRelease)state!).Run(), release, _options.ChannelMessageInterval, Timeout.InfiniteTimeSpan);
    }

    private void DropIdle()
    {
        foreach (var (key, limiter) in _limiters.Where(entry => entry.Value.GetStatistics() is { CurrentAvailablePermits: 1, CurrentQueuedCount: 0 }).ToList())
        {
            _limiters.Remove(key);
            limiter.Dispose();
        }
    }

    private static SlackApiException Refused(string error, string message) =>
        new(SlackErrorKind.Retry, "chat.postMessage", error, null, null, message);

    // Holds the lease (and its timer, so it is not collected) until the interval is over.
    private sealed class DelayedRelease(RateLimitLease lease)
    {
        public ITimer? Timer { get; set; }

        public void Run()
        {
            lease.Dispose();
            Timer?.Dispose();
        }
    }
}
