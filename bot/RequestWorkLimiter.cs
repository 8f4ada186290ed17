using System.Threading.RateLimiting;

namespace Digest.Bot;

/// <summary>Bounds how many requests are handled at once, since each is handled within its request: a burst beyond
/// what storage and the platforms can take waits its turn (oldest first), and only once too many are waiting are more
/// refused with 503 and <c>Retry-After</c>, which both platforms retry. Refusing is honest: nothing refused was
/// acknowledged, and nothing acknowledged is left undone.</summary>
public sealed class RequestWorkLimiter : IDisposable
{
    /// <summary>Requests handled at once: enough to keep storage and the platforms busy without drowning them.</summary>
    public const int Concurrency = 32;

    /// <summary>Requests waiting for a turn before more are refused (a few seconds of work at the bot's pace).</summary>
    public const int Waiting = 2000;

    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = Concurrency,
        QueueLimit = Waiting,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>A turn to handle one request (dispose it when done), or null when too many are waiting.</summary>
    public async Task<RateLimitLease?> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    public void Dispose() => _limiter.Dispose();
}
