using System.Diagnostics.CodeAnalysis;
using Digest.Papers;

namespace Digest.Rules;

/// <summary>
/// What <c>like:</c> rules compare papers with: the stored papers' title-and-abstract words, how many papers contain
/// each (document frequencies) and how many papers there are. Immutable; <see cref="With"/> gives the statistics with
/// papers added or replaced, at the cost of the papers that changed, so they follow the crawl as papers arrive.
/// </summary>
/// <remarks>A word's inverse document frequency is <c>ln((N + 1) / (df + 1)) + 1</c> (smoothed, as scikit-learn's
/// TfidfVectorizer does), so a word no stored paper has still weighs something.</remarks>
public sealed class CorpusStatistics
{
    private readonly Dictionary<string, int> _documentFrequency;
    private readonly Dictionary<string, Paper> _papers;

    private CorpusStatistics(Dictionary<string, int> documentFrequency, Dictionary<string, Paper> papers)
    {
        _documentFrequency = documentFrequency;
        _papers = papers;
    }

    /// <summary>Statistics of no papers.</summary>
    public static CorpusStatistics Empty { get; } = new(new(StringComparer.Ordinal), new(StringComparer.Ordinal));

    /// <summary>How many papers the statistics count.</summary>
    public int PaperCount => _papers.Count;

    /// <summary>The statistics of <paramref name="papers"/> (the last of several with one id counts).</summary>
    public static CorpusStatistics FromPapers(IEnumerable<Paper> papers) => Empty.With(papers);

    /// <summary>These statistics with <paramref name="papers"/> added, or replacing the stored papers of the same id.</summary>
    public CorpusStatistics With(IEnumerable<Paper> papers)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var frequencies = new Dictionary<string, int>(_documentFrequency, StringComparer.Ordinal);
        var byId = new Dictionary<string, Paper>(_papers, StringComparer.Ordinal);
        foreach (var paper in papers)
        {
            ArgumentNullException.ThrowIfNull(paper);
            if (byId.TryGetValue(paper.Id, out var old))
            {
                foreach (var word in DistinctFeatureWords(old))
                {
                    if (--frequencies[word] == 0)
                    {
                        frequencies.Remove(word);
                    }
                }
            }

            byId[paper.Id] = paper;
            foreach (var word in DistinctFeatureWords(paper))
            {
                frequencies[word] = frequencies.GetValueOrDefault(word) + 1;
            }
        }

        return new CorpusStatistics(frequencies, byId);
    }

    /// <summary>How many papers have <paramref name="word"/> (a normalized word) in their title or abstract.</summary>
    public int DocumentFrequency(string word) => _documentFrequency.GetValueOrDefault(word);

    /// <summary>The weight of a word that is rare in the corpus: <c>ln((N + 1) / (df + 1)) + 1</c>.</summary>
    public double InverseDocumentFrequency(string word) =>
        Math.Log((PaperCount + 1.0) / (DocumentFrequency(word) + 1.0)) + 1.0;

    /// <summary>The stored paper with id <paramref name="paperId"/>, if the statistics count it.</summary>
    public bool TryGetPaper(string paperId, [NotNullWhen(true)] out Paper? paper) => _papers.TryGetValue(paperId, out paper);

    private static HashSet<string> DistinctFeatureWords(Paper paper)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var word in PaperVector.FeatureWords(paper.Title ?? string.Empty))
        {
            words.Add(word);
        }

        foreach (var word in PaperVector.FeatureWords(paper.Abstract ?? string.Empty))
        {
            words.Add(word);
        }

        return words;
    }
}
