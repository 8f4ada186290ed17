using System.Diagnostics.CodeAnalysis;
using Digest.Papers;

namespace Digest.Rules;

/// <summary>
/// A parsed keyword alert rule: an immutable syntax tree. <see cref="ToString"/> gives the canonical syntax,
/// which parses back to an equal rule; equality is by structure, not by the text typed.
/// </summary>
public sealed class Rule : IEquatable<Rule>
{
    internal Rule(string text, RuleNode root, int termCount, bool hasSimilarity = false)
    {
        Text = text;
        Root = root;
        TermCount = termCount;
        HasSimilarity = hasSimilarity;
    }

    /// <summary>Whether the rule has a <c>like:</c> term, whose meaning depends on the corpus it was parsed with.</summary>
    public bool HasSimilarity { get; }

    /// <summary>The text the rule was parsed from, as typed.</summary>
    public string Text { get; }

    /// <summary>The root of the syntax tree.</summary>
    public RuleNode Root { get; }

    /// <summary>How many terms, phrases and thresholds the rule has (at most <see cref="RuleParser.MaxTerms"/>).</summary>
    public int TermCount { get; }

    /// <summary>Evaluates the rule on one paper, with the words that matched (see <see cref="RuleEvaluator"/>).</summary>
    public RuleEvaluation Evaluate(Paper paper) => RuleEvaluator.Evaluate(this, paper);

    /// <summary>Whether the rule matches the paper.</summary>
    public bool IsMatch(Paper paper) => RuleEvaluator.IsMatch(this, TokenizedPaper.Create(paper));

    /// <summary>The canonical syntax (implicit AND, <c>"phrases"</c>, lower-case normalized words, minimal parentheses).</summary>
    public override string ToString() => Root.ToString();

    public bool Equals([NotNullWhen(true)] Rule? other) => other is not null && other.Root.Equals(Root);

    public override bool Equals(object? obj) => obj is Rule rule && Equals(rule);

    public override int GetHashCode() => Root.GetHashCode();
}

/// <summary>Why a rule text could not be understood.</summary>
/// <param name="Position">0-based character offset in the rule text where the problem is.</param>
/// <param name="Message">What is wrong, without the position (<c>unclosed quote</c>).</param>
/// <param name="Hint">A suggestion, when there is one (<c>did you mean "title"?</c>).</param>
public sealed record RuleError(int Position, string Message, string? Hint = null)
{
    /// <summary>The text to show a person: <c>unknown field "titel" at 0, did you mean "title"?</c>.</summary>
    public string Text => Hint is null ? $"{Message} at {Position}" : $"{Message} at {Position}, {Hint}";

    public override string ToString() => Text;
}

/// <summary>The outcome of <see cref="RuleParser.Parse"/>: a rule, or an error.</summary>
public sealed class RuleParseResult
{
    private RuleParseResult(Rule? rule, RuleError? error)
    {
        Rule = rule;
        Error = error;
    }

    /// <summary>The rule, when the text parsed.</summary>
    public Rule? Rule { get; }

    /// <summary>The error, when it did not.</summary>
    public RuleError? Error { get; }

    [MemberNotNullWhen(true, nameof(Rule))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Rule is not null;

    internal static RuleParseResult Success(Rule rule) => new(rule, null);

    internal static RuleParseResult Failure(RuleError error) => new(null, error);

    public override string ToString() => IsSuccess ? Rule.ToString() : Error.Text;
}
