using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary>Paces <c>chat.postMessage</c> per (team, channel): a token bucket of one message per
/// <c>Slack:ChannelMessageInterval</c> (Slack allows about one per second per channel, with short bursts), so a burst of
/// alerts to one channel waits its turn instead of provoking 429s, while other channels go on. The buckets are
/// replenished by one timer on the injected <see cref="TimeProvider"/>. A bucket that is full and has nobody waiting
/// carries no information, so it is dropped at the next tick; at most <c>Slack:MaxTrackedChannels</c> exist.</summary>
internal sealed class SlackChannelRateLimiter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TokenBucketRateLimiter> _limiters = new(StringComparer.Ordinal);
    private readonly SlackOptions _options;
    private readonly ITimer _timer;

    public SlackChannelRateLimiter(IOptions<SlackOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options.Value;
        _timer = time.CreateTimer(_ => Tick(), null, _options.ChannelMessageInterval, _options.ChannelMessageInterval);
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

    /// <summary>Waits for the channel's turn. Throws a retryable <see cref="SlackApiException"/> when too many messages
    /// already wait for this channel, or too many channels are busy at once.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(string teamId, string channel, CancellationToken cancellationToken)
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

                limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 1,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = _options.ChannelMessageInterval,
                    AutoReplenishment = false,
                    QueueLimit = _options.ChannelQueueLimit,
                    QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                });
                _limiters.Add(key, limiter);
            }

            // Asked under the lock: once queued (or holding the token) the bucket is not idle, so no tick can drop it.
            waiting = limiter.AcquireAsync(1, cancellationToken);
        }

        var lease = await waiting.ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Refused("channel_queue_full", $"More than {_options.ChannelQueueLimit} messages (Slack:ChannelQueueLimit) already wait for this channel; try again later.");
        }

        return lease;
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock)
        {
            foreach (var limiter in _limiters.Values)
            {
                limiter.Dispose();
            }

            _limiters.Clear();
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            DropIdle();
            foreach (var limiter in _limiters.Values)
            {
                limiter.TryReplenish();
            }
        }
    }

    private void DropIdle()
    {
        List<string>? idle = null;
        foreach (var (key, limiter) in _limiters)
        {
            if (limiter.GetStatistics() is { CurrentAvailablePermits: >= 1, CurrentQueuedCount: 0 })
            {
                (idle ??= []).Add(key);
            }
        }

        foreach (var key in idle ?? [])
        {
            _limiters.Remove(key, out var limiter);
            limiter!.Dispose();
        }
    }

    private static SlackApiException Refused(string error, string message) =>
        new(SlackErrorKind.Retry, "chat.postMessage", error, null, null, message);
}
