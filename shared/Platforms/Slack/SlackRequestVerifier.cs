using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary>Why a request from Slack was accepted or refused (bot-protocol.md §5.2.1; §6.5 S1-S4).</summary>
public enum SlackSignatureCheck
{
    Valid,

    /// <summary>Slack is not enabled (no signing secret): nothing can be verified, so nothing is accepted.</summary>
    NotConfigured,

    MissingTimestamp,
    MissingSignature,

    /// <summary><c>X-Slack-Request-Timestamp</c> is not a plain integer of Unix seconds.</summary>
    MalformedTimestamp,

    /// <summary>The timestamp is more than five minutes old.</summary>
    StaleTimestamp,

    /// <summary>The timestamp is more than five minutes ahead.</summary>
    FutureTimestamp,

    /// <summary>The signature is not <c>v0=</c>: a scheme this code does not know.</summary>
    UnknownVersion,

    /// <summary>The signature does not match the body, timestamp and secret.</summary>
    SignatureMismatch,

    /// <summary>A valid request seen before within the window.</summary>
    Replayed,

    /// <summary>Too many verified requests within the window to remember them all; refused rather than unchecked.</summary>
    ReplayCacheFull,
}

/// <summary>Verifies <c>X-Slack-Signature</c>: <c>v0=</c> + lowercase hex HMAC-SHA256 of <c>v0:{timestamp}:{raw body}</c>
/// under the signing secret, compared in constant time; the timestamp within five minutes either way; each
/// (timestamp, signature) accepted once. Only verified requests enter the replay cache, so without the secret it
/// cannot be filled.</summary>
public sealed partial class SlackRequestVerifier
{
    public const string SignatureHeader = "X-Slack-Signature";
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    /// <summary>How far a request's timestamp may be from now, either way.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private const string Version = "v0";
    private const int SignatureLength = 3 + (SHA256.HashSizeInBytes * 2);

    private readonly byte[]? _secret;
    private readonly TimeProvider _time;
    private readonly ILogger<SlackRequestVerifier> _logger;
    private readonly SlackReplayCache _replays;

    public SlackRequestVerifier(IOptions<SlackOptions> options, TimeProvider time, ILogger<SlackRequestVerifier> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        _secret = value.Enabled ? Encoding.UTF8.GetBytes(value.SigningSecret!) : null;
        _time = time;
        _logger = logger;
        _replays = new SlackReplayCache(value.ReplayCacheCapacity);
    }

    /// <summary>Checks one request: its two headers as received and its body, byte for byte as received.</summary>
    public SlackSignatureCheck Verify(string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> rawBody)
    {
        var check = Check(timestampHeader, signatureHeader, rawBody);
        if (check != SlackSignatureCheck.Valid)
        {
            LogRefused(_logger, check);
        }

        return check;
    }

    private SlackSignatureCheck Check(string? timestampHeader, string? signatureHeader, ReadOnlySpan<byte> rawBody)
    {
        if (_secret is null)
        {
            return SlackSignatureCheck.NotConfigured;
        }

        if (string.IsNullOrEmpty(timestampHeader))
        {
            return SlackSignatureCheck.MissingTimestamp;
        }

        if (string.IsNullOrEmpty(signatureHeader))
        {
            return SlackSignatureCheck.MissingSignature;
        }

        // Digits only: no sign, no spaces, no exponent, no leading '+' that long.TryParse would let through.
        if (timestampHeader.Length > 12 || !timestampHeader.All(char.IsAsciiDigit)
            || !long.TryParse(timestampHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SlackSignatureCheck.MalformedTimestamp;
        }

        if (!signatureHeader.StartsWith(Version + "=", StringComparison.Ordinal))
        {
            return SlackSignatureCheck.UnknownVersion;
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (seconds < now - (long)Tolerance.TotalSeconds)
        {
            return SlackSignatureCheck.StaleTimestamp;
        }

        if (seconds > now + (long)Tolerance.TotalSeconds)
        {
            return SlackSignatureCheck.FutureTimestamp;
        }

        var expected = Sign(_secret, timestampHeader, rawBody);
        var given = Encoding.ASCII.GetBytes(signatureHeader);
        if (given.Length != SignatureLength || !CryptographicOperations.FixedTimeEquals(given, expected))
        {
            return SlackSignatureCheck.SignatureMismatch;
        }

        return _replays.TryAdd(timestampHeader + ":" + signatureHeader, DateTimeOffset.FromUnixTimeSeconds(seconds) + Tolerance, _time.GetUtcNow()) switch
        {
            SlackReplayCache.Outcome.Added => SlackSignatureCheck.Valid,
            SlackReplayCache.Outcome.Seen => SlackSignatureCheck.Replayed,
            _ => SlackSignatureCheck.ReplayCacheFull,
        };
    }

    /// <summary>The <c>X-Slack-Signature</c> value for a body (ASCII bytes of <c>v0=</c> + lowercase hex).</summary>
    internal static byte[] Sign(byte[] secret, string timestamp, ReadOnlySpan<byte> rawBody)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Encoding.ASCII.GetBytes(Version + ":" + timestamp + ":"));
        hmac.AppendData(rawBody);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        hmac.GetHashAndReset(hash);
        return Encoding.ASCII.GetBytes(Version + "=" + Convert.ToHexStringLower(hash));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a request claiming to come from Slack: {Check}")]
    private static partial void LogRefused(ILogger logger, SlackSignatureCheck check);
}

/// <summary>The verified (timestamp, signature) pairs still inside their window. Entries leave when their window
/// closes (a replay after that is stale anyway); the capacity bounds memory.</summary>
internal sealed class SlackReplayCache(int capacity)
{
    public enum Outcome
    {
        Added,
        Seen,
        Full,
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    // Ordered by arrival, which is nearly expiry order: pruning from the head is cheap and rarely leaves much behind.
    private readonly Queue<(string Key, DateTimeOffset Expiry)> _arrivals = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _expiries.Count;
            }
        }
    }

    public Outcome TryAdd(string key, DateTimeOffset expiry, DateTimeOffset now)
    {
        lock (_lock)
        {
            Prune(now, all: false);
            if (_expiries.TryGetValue(key, out var known) && known > now)
            {
                return Outcome.Seen;
            }

            if (_expiries.Count >= capacity)
            {
                Prune(now, all: true);
                if (_expiries.Count >= capacity)
                {
                    return Outcome.Full;
                }
            }

            _expiries[key] = expiry;
            _arrivals.Enqueue((key, expiry));
            return Outcome.Added;
        }
    }

    private void Prune(DateTimeOffset now, bool all)
    {
        if (all)
        {
            foreach (var (key, expiry) in _expiries.Where(entry => entry.Value <= now).ToList())
            {
                _expiries.Remove(key);
            }

            var kept = _arrivals.Where(arrival => arrival.Expiry > now).ToList();
            _arrivals.Clear();
            foreach (var arrival in kept)
            {
                _arrivals.Enqueue(arrival);
            }

            return;
        }

        while (_arrivals.TryPeek(out var head) && head.Expiry <= now)
        {
            _arrivals.Dequeue();
            if (_expiries.TryGetValue(head.Key, out var expiry) && expiry <= now)
            {
                _expiries.Remove(head.Key);
            }
        }
    }
}
