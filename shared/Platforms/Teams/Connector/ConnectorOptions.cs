using System.ComponentModel.DataAnnotations;

namespace Digest.Platforms.Teams.Connector;

/// <summary>Configuration section <c>Bot:Connector</c>: how patiently and how fast the bot talks to the Bot Connector
/// and its token endpoint.</summary>
public sealed class ConnectorOptions
{
    public const string SectionName = "Bot:Connector";

    /// <summary>Time allowed for one HTTP attempt. A connector that never answers costs this, not HttpClient's 100 s.
    /// A send that timed out is not retried in the run (the connector may have posted it); its rows wait for a later run.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Retries after the first attempt on 412, 429, 502, 503, 504 and refused connections (the Teams guidance).</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first back-off delay (exponential, with jitter) when the connector gives no <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A <c>Retry-After</c> longer than this is not waited for: the send fails as transient and a later run
    /// sends it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Messages the bot sends to one conversation per second (Teams allows 7 per second per conversation).</summary>
    [Range(1, 100)]
    public int MessagesPerConversationPerSecond { get; set; } = 7;

    /// <summary>Requests the bot sends for one tenant per second (Teams allows about 50 per second per bot per tenant).</summary>
    [Range(1, 1000)]
    public int RequestsPerTenantPerSecond { get; set; } = 50;
}
