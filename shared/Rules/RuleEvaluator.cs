using Digest.Papers;

namespace Digest.Rules;

/// <summary>What a rule matched in one field of a paper: a word, or the words of a phrase joined by one space.</summary>
/// <param name="Field">Where.</param>
/// <param name="Text">The normalized words as they stand in the paper (<c>quantization</c> for <c>quantiz*</c>, <c>low rank</c> for a phrase).</param>
public readonly record struct MatchedWord(PaperField Field, string Text) : IComparable<MatchedWord>
{
    public int CompareTo(MatchedWord other)
    {
        var byField = Field.CompareTo(other.Field);
        return byField != 0 ? byField : string.CompareOrdinal(Text, other.Text);
    }

    public static bool operator <(MatchedWord left, MatchedWord right) => left.CompareTo(right) < 0;

    public static bool operator <=(MatchedWord left, MatchedWord right) => left.CompareTo(right) <= 0;

    public static bool operator >(MatchedWord left, MatchedWord right) => left.CompareTo(right) > 0;

    public static bool operator >=(MatchedWord left, MatchedWord right) => left.CompareTo(right) >= 0;
}

/// <summary>A span of a paper's original text to highlight.</summary>
/// <param name="Field">The field.</param>
/// <param name="AuthorIndex">For <see cref="PaperField.Authors"/>, which author (index into <see cref="Paper.Authors"/>); 0 otherwise.</param>
/// <param name="Start">Offset in the field's original text (the author's name for authors).</param>
/// <param name="Length">Length in the original text.</param>
public readonly record struct WordHighlight(PaperField Field, int AuthorIndex, int Start, int Length) : IComparable<WordHighlight>
{
    public int CompareTo(WordHighlight other)
    {
        var byField = Field.CompareTo(other.Field);
        if (byField != 0)
        {
            return byField;
        }

        var byAuthor = AuthorIndex.CompareTo(other.AuthorIndex);
        return byAuthor != 0 ? byAuthor : Start != other.Start ? Start.CompareTo(other.Start) : Length.CompareTo(other.Length);
    }

    public static bool operator <(WordHighlight left, WordHighlight right) => left.CompareTo(right) < 0;

    public static bool operator <=(WordHighlight left, WordHighlight right) => left.CompareTo(right) <= 0;

    public static bool operator >(WordHighlight left, WordHighlight right) => left.CompareTo(right) > 0;

    public static bool operator >=(WordHighlight left, WordHighlight right) => left.CompareTo(right) >= 0;
}

/// <summary>The result of one rule on one paper.</summary>
/// <param name="IsMatch">Whether the rule matched.</param>
/// <param name="MatchedWords">What matched where, distinct, ordered by field then text; empty when there is no match.</param>
/// <param name="Highlights">The spans of the original text to highlight, distinct and ordered; empty when there is no match.</param>
public sealed record RuleEvaluation(bool IsMatch, IReadOnlyList<MatchedWord> MatchedWords, IReadOnlyList<WordHighlight> Highlights);

/// <summary>A paper cut into normalized words once, so several rules can be evaluated on it.</summary>
public sealed class TokenizedPaper
{
    private TokenizedPaper(Paper? paper, IReadOnlyList<WordToken>[][] segments, int upvotes)
    {
        Paper = paper;
        Segments = segments;
        Upvotes = upvotes;
    }

    /// <summary>A paper with no words and no upvotes, to find rules that match everything.</summary>
    internal static TokenizedPaper Empty { get; } = new(null, [[], [], []], 0);

    /// <summary>The paper, unless this is <see cref="Empty"/>.</summary>
    public Paper? Paper { get; }

    public int Upvotes { get; }

    // One reference, so threads sharing the paper read a whole pair or none.
    private StatisticsVector? _vector;

    /// <summary>The paper's tf-idf vector under <paramref name="statistics"/>, made once.</summary>
    internal PaperVector Vector(CorpusStatistics statistics)
    {
        var cached = _vector;
        if (cached is null || !ReferenceEquals(cached.Statistics, statistics))
        {
            cached = new StatisticsVector(statistics, PaperVector.Create(statistics, Words(Segments[0]), Words(Segments[1])));
            _vector = cached;
        }

        return cached.Vector;
    }

    private static IEnumerable<string> Words(IReadOnlyList<WordToken>[] segments) => segments.SelectMany(tokens => tokens.Select(token => token.Word));

    private sealed record StatisticsVector(CorpusStatistics Statistics, PaperVector Vector);

    /// <summary>Per field (indexed by <see cref="PaperField"/>), the segments a phrase cannot cross: one for title and abstract, one per author.</summary>
    internal IReadOnlyList<WordToken>[][] Segments { get; }

    public static TokenizedPaper Create(Paper paper)
    {
        ArgumentNullException.ThrowIfNull(paper);
        var authors = new IReadOnlyList<WordToken>[paper.Authors.Count];
        for (var i = 0; i < authors.Length; i++)
        {
            authors[i] = TextNormalizer.Tokenize(paper.Authors[i] ?? string.Empty);
        }

        return new TokenizedPaper(
            paper,
            [[TextNormalizer.Tokenize(paper.Title ?? string.Empty)], [TextNormalizer.Tokenize(paper.Abstract ?? string.Empty)], authors],
            paper.Upvotes);
    }
}

/// <summary>
/// Evaluates one rule on one paper by walking its syntax tree over the paper's words. This is the plain,
/// obviously-correct definition of what a rule means; <see cref="RuleIndex"/> must always agree with it.
/// </summary>
/// <remarks>
/// <para>Matching: a term matches when its words occur consecutively (for a phrase) in one of its fields,
/// within one author's name for authors; a wildcard's last word matches any word that starts with it.
/// Without a field scope a term searches title, abstract and authors.</para>
/// <para>Matched words, for highlighting: an AND that holds gives those of all its operands; an OR that holds gives
/// those of its operands that hold; a NOT gives none; a term gives each of its occurrences in its fields; a threshold gives none;
/// a <c>like:</c> gives each occurrence, in title and abstract, of its query's words.</para>
/// <para><c>like:</c> holds when the paper's <see cref="SimilarityQuery"/> score reaches the threshold.</para>
/// </remarks>
public static class RuleEvaluator
{
    private const int AllFields = 0b111;

    /// <summary>Evaluates <paramref name="rule"/> on <paramref name="paper"/>, with what matched.</summary>
    public static RuleEvaluation Evaluate(Rule rule, Paper paper) => Evaluate(rule, TokenizedPaper.Create(paper));

    /// <summary>Evaluates <paramref name="rule"/> on an already tokenized paper, with what matched.</summary>
    public static RuleEvaluation Evaluate(Rule rule, TokenizedPaper paper)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(paper);
        if (!Holds(rule.Root, paper, paper.Upvotes))
        {
            return new RuleEvaluation(false, [], []);
        }

        var occurrences = new List<Occurrence>();
        Collect(rule.Root, paper, paper.Upvotes, AllFields, occurrences);
        var words = new SortedSet<MatchedWord>();
        var highlights = new SortedSet<WordHighlight>();
        foreach (var occurrence in occurrences)
        {
            var tokens = paper.Segments[(int)occurrence.Field][occurrence.Segment];
            var text = new string[occurrence.Count];
            for (var i = 0; i < occurrence.Count; i++)
            {
                var token = tokens[occurrence.Index + i];
                text[i] = token.Word;
                highlights.Add(new WordHighlight(occurrence.Field, occurrence.Field == PaperField.Authors ? occurrence.Segment : 0, token.Start, token.Length));
            }

            words.Add(new MatchedWord(occurrence.Field, string.Join(' ', text)));
        }

        return new RuleEvaluation(true, [.. words], [.. highlights]);
    }

    /// <summary>Whether <paramref name="rule"/> matches an already tokenized paper.</summary>
    public static bool IsMatch(Rule rule, TokenizedPaper paper)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(paper);
        return Holds(rule.Root, paper, paper.Upvotes);
    }

    internal static bool Holds(RuleNode node, TokenizedPaper paper, int upvotes) => Holds(node, paper, upvotes, AllFields);

    private static bool Holds(RuleNode node, TokenizedPaper paper, int upvotes, int fields)
    {
        switch (node)
        {
            case TermNode term:
                return Occurs(term, paper, fields, null);
            case ThresholdNode threshold:
                return threshold.IsSatisfiedBy(upvotes);
            case LikeNode like:
                return like.Holds(paper.Vector(like.Query.Statistics));
            case NotNode not:
                return !Holds(not.Operand, paper, upvotes, fields);
            case FieldScopeNode scope:
                return Holds(scope.Operand, paper, upvotes, 1 << (int)scope.Field);
            case AndNode andNode:
                foreach (var operand in andNode.Operands)
                {
                    if (!Holds(operand, paper, upvotes, fields))
                    {
                        return false;
                    }
                }

                return true;
            case OrNode orNode:
                foreach (var operand in orNode.Operands)
                {
                    if (Holds(operand, paper, upvotes, fields))
                    {
                        return true;
                    }
                }

                return false;
            default:
                throw new ArgumentException($"Unknown rule node {node.GetType().Name}.", nameof(node));
        }
    }

    /// <summary>Gathers the occurrences of a node known to hold.</summary>
    private static void Collect(RuleNode node, TokenizedPaper paper, int upvotes, int fields, List<Occurrence> occurrences)
    {
        switch (node)
        {
            case TermNode term:
                Occurs(term, paper, fields, occurrences);
                break;
            case FieldScopeNode scope:
                Collect(scope.Operand, paper, upvotes, 1 << (int)scope.Field, occurrences);
                break;
            case LikeNode like:
                // The query's words the paper has, wherever it has them: the words that made it similar.
                for (var field = 0; field < 2; field++)
                {
                    var tokens = paper.Segments[field][0];
                    for (var i = 0; i < tokens.Count; i++)
                    {
                        if (like.Query.HasTerm(tokens[i].Word))
                        {
                            occurrences.Add(new Occurrence((PaperField)field, 0, i, 1));
                        }
                    }
                }

                break;
            case AndNode andNode:
                foreach (var operand in andNode.Operands)
                {
                    Collect(operand, paper, upvotes, fields, occurrences);
                }

                break;
            case OrNode orNode:
                foreach (var operand in orNode.Operands)
                {
                    if (Holds(operand, paper, upvotes, fields))
                    {
                        Collect(operand, paper, upvotes, fields, occurrences);
                    }
                }

                break;
        }
    }

    /// <summary>Whether the term occurs in one of <paramref name="fields"/>; records every occurrence when asked to.</summary>
    private static bool Occurs(TermNode term, TokenizedPaper paper, int fields, List<Occurrence>? occurrences)
    {
        var found = false;
        var words = term.Words;
        for (var field = 0; field < 3; field++)
        {
            if ((fields & (1 << field)) == 0)
            {
                continue;
            }

            var segments = paper.Segments[field];
            for (var segment = 0; segment < segments.Length; segment++)
            {
                var tokens = segments[segment];
                for (var start = 0; start + words.Length <= tokens.Count; start++)
                {
                    if (!OccursAt(term, tokens, start))
                    {
                        continue;
                    }

                    if (occurrences is null)
                    {
                        return true;
                    }

                    found = true;
                    occurrences.Add(new Occurrence((PaperField)field, segment, start, words.Length));
                }
            }
        }

        return found;
    }

    private static bool OccursAt(TermNode term, IReadOnlyList<WordToken> tokens, int start)
    {
        var words = term.Words;
        for (var i = 0; i < words.Length; i++)
        {
            var word = tokens[start + i].Word;
            var matches = term.IsPrefix && i == words.Length - 1
                ? word.StartsWith(words[i], StringComparison.Ordinal)
                : string.Equals(word, words[i], StringComparison.Ordinal);
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct Occurrence(PaperField Field, int Segment, int Index, int Count);
}
