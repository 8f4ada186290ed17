using Digest.Papers;

namespace Digest.Rules;

/// <summary>
/// How often words occur in papers (the share of papers that contain each normalized word), so
/// <see cref="RuleIndex"/> can file each rule under the rarest words it needs and look at it for as few papers as possible.
/// Build it from recent papers; any sample works, and a poor one only makes matching slower, never wrong.
/// </summary>
public sealed class WordFrequencies
{
    private readonly Dictionary<string, int> _paperCounts;
    private readonly string[] _sortedWords;
    private readonly long[] _cumulativeCounts;

    private WordFrequencies(Dictionary<string, int> paperCounts, int paperCount)
    {
        _paperCounts = paperCounts;
        PaperCount = paperCount;
        _sortedWords = [.. paperCounts.Keys];
        Array.Sort(_sortedWords, StringComparer.Ordinal);
        _cumulativeCounts = new long[_sortedWords.Length + 1];
        for (var i = 0; i < _sortedWords.Length; i++)
        {
            _cumulativeCounts[i + 1] = _cumulativeCounts[i] + paperCounts[_sortedWords[i]];
        }
    }

    /// <summary>How many papers the counts come from.</summary>
    public int PaperCount { get; }

    /// <summary>Counts, for every normalized word of the papers' titles, abstracts and authors, how many papers contain it.</summary>
    public static WordFrequencies FromPapers(IEnumerable<Paper> papers)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var paperCount = 0;
        foreach (var paper in papers)
        {
            paperCount++;
            seen.Clear();
            AddWords(paper.Title, seen);
            AddWords(paper.Abstract, seen);
            foreach (var author in paper.Authors)
            {
                AddWords(author, seen);
            }

            foreach (var word in seen)
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        return new WordFrequencies(counts, paperCount);
    }

    /// <summary>The share of papers that contain <paramref name="word"/> (a normalized word), between 0 and 1.</summary>
    public double DocumentFrequency(string word) =>
        PaperCount == 0 ? 0 : (double)_paperCounts.GetValueOrDefault(word) / PaperCount;

    /// <summary>An upper bound of the share of papers with a word that starts with <paramref name="prefix"/>.</summary>
    public double PrefixFrequency(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (PaperCount == 0)
        {
            return 0;
        }

        var first = LowerBound(prefix);
        var last = first;
        while (last < _sortedWords.Length && _sortedWords[last].StartsWith(prefix, StringComparison.Ordinal))
        {
            last++;
        }

        return Math.Min(1.0, (double)(_cumulativeCounts[last] - _cumulativeCounts[first]) / PaperCount);
    }

    private int LowerBound(string value)
    {
        int low = 0, high = _sortedWords.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (string.CompareOrdinal(_sortedWords[middle], value) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    private static void AddWords(string? text, HashSet<string> seen)
    {
        if (text is null)
        {
            return;
        }

        foreach (var word in TextNormalizer.Words(text))
        {
            seen.Add(word);
        }
    }
}
