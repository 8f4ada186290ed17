using Digest.Papers;

namespace Digest.Rules;

/// <summary>
/// The query a <c>like:</c> rule runs, made the way Lucene's MoreLikeThis makes one: the reference paper's
/// <see cref="MaxTerms"/> heaviest tf-idf words, each with its weight. A paper's score is the cosine similarity of the two
/// tf-idf vectors counted over those words: <c>Σ q·d / (|q| |d|)</c> with the full lengths of both vectors. Counting
/// only the query's words keeps the score under the full cosine, and means a paper without any of them scores 0, so
/// the rule index can file the rule under those words and never look at papers without one.
/// </summary>
public sealed class SimilarityQuery
{
    /// <summary>How many of the reference paper's words the query keeps (MoreLikeThis's default).</summary>
    public const int MaxTerms = 25;

    private readonly string[] _terms;
    private readonly HashSet<string> _termSet;
    private readonly double[] _weights;

    private SimilarityQuery(string paperId, string[] terms, double[] weights, double referenceNorm, CorpusStatistics statistics)
    {
        PaperId = paperId;
        _terms = terms;
        _termSet = new HashSet<string>(terms, StringComparer.Ordinal);
        _weights = weights;
        ReferenceNorm = referenceNorm;
        Statistics = statistics;
    }

    /// <summary>The reference paper.</summary>
    public string PaperId { get; }

    /// <summary>The query's words, heaviest first.</summary>
    public IReadOnlyList<string> Terms => _terms;

    /// <summary>The weight of each of <see cref="Terms"/>.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <summary>The length of the reference paper's whole vector.</summary>
    public double ReferenceNorm { get; }

    /// <summary>The corpus the weights come from; papers are scored with the same statistics.</summary>
    public CorpusStatistics Statistics { get; }

    /// <summary>The query of <paramref name="paper"/>; null when it has no feature words.</summary>
    public static SimilarityQuery? Create(Paper paper, CorpusStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(paper);
        ArgumentNullException.ThrowIfNull(statistics);
        var vector = PaperVector.Create(statistics, paper);
        if (vector.Norm == 0)
        {
            return null;
        }

        var top = vector.Weights
            .OrderByDescending(entry => entry.Value)
            .ThenBy(entry => entry.Key, StringComparer.Ordinal)
            .Take(MaxTerms)
            .ToArray();
        return new SimilarityQuery(paper.Id, [.. top.Select(entry => entry.Key)], [.. top.Select(entry => entry.Value)], vector.Norm, statistics);
    }

    /// <summary>Whether <paramref name="word"/> is one of the query's words.</summary>
    public bool HasTerm(string word) => _termSet.Contains(word);

    /// <summary>The score of a paper's vector (made with <see cref="Statistics"/>), between 0 and 1.</summary>
    internal double Score(PaperVector paper)
    {
        if (paper.Norm == 0)
        {
            return 0;
        }

        var dot = 0.0;
        for (var i = 0; i < _weights.Length; i++)
        {
            dot += _weights[i] * paper.Weight(_terms[i]);
        }

        return dot / (ReferenceNorm * paper.Norm);
    }

    /// <summary>The score of <paramref name="paper"/>, between 0 and 1.</summary>
    public double Score(Paper paper) => Score(PaperVector.Create(Statistics, paper));
}
