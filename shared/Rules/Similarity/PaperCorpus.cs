using Digest.Papers;

namespace Digest.Rules;

/// <summary>
/// The <see cref="CorpusStatistics"/> of the stored papers, for <c>like:</c> rules, kept for the life of the process:
/// read from the <c>papers</c> table once, when a <c>like:</c> rule first needs them (a process without such rules
/// never reads them), then brought up to date with the papers each notifier run sees change (<see cref="Update"/>).
/// Safe to share between threads.
/// </summary>
/// <remarks>Reading the statistics is one paged query over the papers table: Azurite returns 1,000 rows per page, so a
/// year of Daily Papers (about 15,000 papers) is about 15 requests.</remarks>
public sealed class PaperCorpus(PaperStore papers)
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly Lock _updating = new();
    private volatile CorpusStatistics? _statistics;

    /// <summary>The statistics, read from storage on first use.</summary>
    public async Task<CorpusStatistics> GetAsync(CancellationToken cancellationToken)
    {
        if (_statistics is { } loaded)
        {
            return loaded;
        }

        await _loading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_statistics is null)
            {
                var stored = await papers.ListByDateAsync(DateOnly.MinValue, DateOnly.MaxValue, cancellationToken).ConfigureAwait(false);
                _statistics = CorpusStatistics.FromPapers(stored);
            }

            return _statistics;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>Adds or replaces papers that arrived or changed; nothing to do before the statistics are first read.</summary>
    public void Update(IReadOnlyCollection<Paper> changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        if (changed.Count == 0 || _statistics is null)
        {
            return;
        }

        lock (_updating)
        {
            _statistics = _statistics.With(changed);
        }
    }

    /// <summary>Whether any of the rule texts has a <c>like:</c> term, and so needs the statistics to be parsed.</summary>
    public static bool NeedsStatistics(IEnumerable<string> ruleTexts) =>
        ruleTexts.Any(text => text.Contains("like:", StringComparison.OrdinalIgnoreCase));
}
