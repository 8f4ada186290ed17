using System.ComponentModel.DataAnnotations;

namespace Digest.Platforms.Slack;

/// <summary>Configuration section <c>Slack</c>; validated by <see cref="SlackOptionsValidator"/>. Slack is enabled by
/// <see cref="SigningSecret"/>: without it every other setting must be empty (a Teams-only deployment).</summary>
public sealed class SlackOptions
{
    public const string SectionName = "Slack";

    /// <summary>Where Slack's Web API lives unless <see cref="ApiBaseUrl"/> says otherwise.</summary>
    public static readonly Uri DefaultApiBaseUrl = new("https://slack.com/api/");

    /// <summary>The one place Slack sends <c>response_url</c>s to; always allowed.</summary>
    public static readonly Uri SlackResponseUrlPrefix = new("https://hooks.slack.com/");

    /// <summary>The app's signing secret (Basic Information → App Credentials). Setting it enables Slack.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>OAuth v2 client id, for installs into any number of workspaces.</summary>
    public string? ClientId { get; set; }

    /// <summary>OAuth v2 client secret. Set it from the environment or Key Vault only.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A single workspace's bot token (<c>xoxb-…</c>), instead of OAuth installs.</summary>
    public string? BotToken { get; set; }

    /// <summary>Base64 of 32 random bytes: encrypts the stored bot and refresh tokens and keys the OAuth <c>state</c>.</summary>
    public string? TokenEncryptionKey { get; set; }

    /// <summary>The Web API base URL, ending with <c>/</c>.</summary>
    public Uri ApiBaseUrl { get; set; } = DefaultApiBaseUrl;

    /// <summary><c>response_url</c> prefixes allowed besides <c>https://hooks.slack.com/</c> (tests use loopback).</summary>
    public List<string> AllowedResponseUrls { get; set; } = [];

    /// <summary>Timeout of one attempt of a Web API call.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries after a 429, a 5xx, a timeout or a broken connection.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First back-off delay (exponential, with jitter) when Slack gives no <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest <c>Retry-After</c> waited for within a call; a longer one fails the call as retryable.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Least time between two messages to one channel (Slack: about one message per second per channel).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ChannelMessageInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages waiting for one channel's turn before more are refused as retryable.</summary>
    [Range(1, 10_000)]
    public int ChannelQueueLimit { get; set; } = 100;

    /// <summary>Channels paced at once; idle channels are forgotten, so this bounds memory, not reach.</summary>
    [Range(1, 1_000_000)]
    public int MaxTrackedChannels { get; set; } = 10_000;

    /// <summary>Signed requests remembered to refuse replays (only verified requests count).</summary>
    [Range(100, 10_000_000)]
    public int ReplayCacheCapacity { get; set; } = 100_000;

    /// <summary>How long an OAuth <c>state</c> stays valid.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan OAuthStateLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>With token rotation: a stored bot token is refreshed once it expires within this (Slack's tokens
    /// live 12 hours; Bolt refreshes 2 hours ahead, which leaves time for a refresh that fails to be tried again).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "06:00:00")]
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Largest request body the Slack endpoints read.</summary>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxRequestBodyBytes { get; set; } = 256 * 1024;

    /// <summary>True when the signing secret is set: the Slack endpoints answer.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(SigningSecret);

    /// <summary>True when installs go through OAuth (tokens per team) rather than <see cref="BotToken"/>.</summary>
    public bool UsesOAuth => !string.IsNullOrWhiteSpace(ClientId);
}
