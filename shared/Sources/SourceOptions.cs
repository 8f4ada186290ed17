using System.ComponentModel.DataAnnotations;

namespace Digest.Sources;

/// <summary>Which pages to watch and how politely to fetch them. Bound from the <c>Sources</c> section.</summary>
public sealed class SourceOptions : IValidatableObject
{
    public const string SectionName = "Sources";

    public const string DefaultBaseUrl = "https://huggingface.co";

    /// <summary>
    /// A base URL (<c>https://huggingface.co</c>, or a loopback server in tests) or a folder of saved pages,
    /// each file one page, read in name order.
    /// </summary>
    /// <value>The default value is <c>https://huggingface.co</c>.</value>
    [Required(ErrorMessage = "Sources:Source must be a base URL such as https://huggingface.co or a folder of saved pages.")]
    public string Source { get; set; } = DefaultBaseUrl;

    /// <summary>How many days before today (UTC) to poll as well: the list of a day keeps growing and upvotes keep changing.</summary>
    /// <value>The default value is 1: today and yesterday.</value>
    [Range(0, 31, ErrorMessage = "Sources:LookBackDays must be between 0 and 31.")]
    public int LookBackDays { get; set; } = 1;

    /// <summary>Explicit daily dates to poll instead of today and the look-back (yyyy-MM-dd).</summary>
    public IList<DateOnly> Dates { get; } = [];

    /// <summary>Poll the daily HTML pages (<c>/papers/date/YYYY-MM-DD</c>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool DailyPages { get; set; } = true;

    /// <summary>Poll the JSON API (<c>/api/daily_papers?date=</c>) for each date as well.</summary>
    public bool Api { get; set; }

    /// <summary>Poll <c>/papers/trending</c>.</summary>
    public bool Trending { get; set; }

    /// <summary>Poll the current week's page (<c>/papers/week/YYYY-Www</c>).</summary>
    public bool Week { get; set; }

    /// <summary>Poll the current month's page (<c>/papers/month/YYYY-MM</c>).</summary>
    public bool Month { get; set; }

    /// <summary>The User-Agent sent with every request: it names the project so the site can reach us.</summary>
    [Required]
    public string UserAgent { get; set; } = "Digest-PaperAlerts/1.0 (+https://github.com/digest-paper-alerts; Daily Papers alert bot)";

    /// <summary>Pages fetched at the same time.</summary>
    /// <value>The default value is 2.</value>
    [Range(1, 16)]
    public int MaxConcurrency { get; set; } = 2;

    /// <summary>Time allowed for one attempt.</summary>
    /// <value>The default value is 30 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt, on 429, 5xx, timeouts and broken connections.</summary>
    /// <value>The default value is 3.</value>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first back-off delay (exponential, with jitter) when the server gives no Retry-After.</summary>
    /// <value>The default value is 2 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:05:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A Retry-After longer than this is not waited for: the page is reported and tried at the next cycle.</summary>
    /// <value>The default value is 2 minutes.</value>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A body larger than this is refused (and reported).</summary>
    /// <value>The default value is 32 MiB.</value>
    [Range(1024, 512 * 1024 * 1024)]
    public int MaxPageBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>True when <see cref="Source"/> is an http(s) URL rather than a folder.</summary>
    public bool IsHttp => Uri.TryCreate(Source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!IsHttp && !Directory.Exists(Source))
        {
            yield return new ValidationResult(
                $"Sources:Source \"{Source}\" is neither an http(s) URL nor an existing folder of saved pages.", [nameof(Source)]);
        }

        if (IsHttp && !DailyPages && !Api && !Trending && !Week && !Month)
        {
            yield return new ValidationResult(
                "No pages to watch: enable at least one of Sources:DailyPages, Sources:Api, Sources:Trending, Sources:Week, Sources:Month.",
                [nameof(DailyPages)]);
        }
    }
}
