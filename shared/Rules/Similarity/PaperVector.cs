using System.Collections.Frozen;

namespace Digest.Rules;

/// <summary>
/// A paper's title and abstract as a tf-idf vector: each feature word weighs <c>(1 + ln tf) × idf</c> (tf: how often the
/// paper has it; idf from <see cref="CorpusStatistics"/>). Feature words are the normalized words (<see cref="TextNormalizer"/>)
/// of two characters or more, not all digits and not English stop words.
/// </summary>
internal sealed class PaperVector
{
    private static readonly FrozenSet<string> StopWords = FrozenSet.Create(
        StringComparer.Ordinal,
        """
        a about above after again against all also am an and any are as at be because been before being below between both but by
        can could did do does doing down during each few for from further had has have having he her here hers herself him himself
        his how i if in into is it its itself just may me might more most must my myself no nor not now of off on once only or other
        our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they
        this those through to too under until up upon very via was we were what when where which while who whom why will with within
        without would you your yours yourself yourselves however thus therefore whether either neither one two three first second
        new use used using based show shows shown propose proposed paper work results method methods approach approaches well
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    private readonly Dictionary<string, double> _weights;

    private PaperVector(Dictionary<string, double> weights, double norm)
    {
        _weights = weights;
        Norm = norm;
    }

    /// <summary>The Euclidean length of the vector; 0 for a paper without feature words.</summary>
    public double Norm { get; }

    /// <summary>The feature words and their weights, in the order the words first occur (title, then abstract).</summary>
    public IEnumerable<KeyValuePair<string, double>> Weights => _weights;

    /// <summary>The vector of the paper whose title and abstract have these normalized words, in order.</summary>
    public static PaperVector Create(CorpusStatistics statistics, IEnumerable<string> titleWords, IEnumerable<string> abstractWords)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var word in titleWords.Concat(abstractWords))
        {
            if (IsFeature(word))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        // The words in the order they first occur, so the sum (and its rounding) is the same wherever the vector is made.
        var weights = new Dictionary<string, double>(counts.Count, StringComparer.Ordinal);
        var squares = 0.0;
        foreach (var (word, count) in counts)
        {
            var weight = (1.0 + Math.Log(count)) * statistics.InverseDocumentFrequency(word);
            weights.Add(word, weight);
            squares += weight * weight;
        }

        return new PaperVector(weights, Math.Sqrt(squares));
    }

    /// <summary>The vector of a paper's title and abstract.</summary>
    public static PaperVector Create(CorpusStatistics statistics, Papers.Paper paper) =>
        Create(statistics, TextNormalizer.Words(paper.Title ?? string.Empty), TextNormalizer.Words(paper.Abstract ?? string.Empty));

    /// <summary>The weight of <paramref name="word"/>; 0 when the paper does not have it.</summary>
    public double Weight(string word) => _weights.GetValueOrDefault(word);

    /// <summary>The feature words of a text, in order, with repeats.</summary>
    public static IEnumerable<string> FeatureWords(string text) => TextNormalizer.Words(text).Where(IsFeature);

    private static bool IsFeature(string word) =>
        word.Length >= 2 && !StopWords.Contains(word) && !word.All(char.IsAsciiDigit);
}
