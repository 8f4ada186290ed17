using Digest.Papers;
using Digest.Rules;

namespace Digest.Conversation;

/// <summary>A rule the user typed, checked: either an error pointing at the problem, or fine.</summary>
/// <param name="Error">The parser's message, shown to the user exactly; null when the rule is valid.</param>
/// <param name="Position">The 0-based character position of the problem, when known.</param>
public sealed record RuleCheck(string? Error, int? Position)
{
    public bool IsValid => Error is null;
}

/// <summary>The rule language, as the bot needs it: check a rule, and run it over papers.</summary>
public interface IRuleEngine
{
    RuleCheck Check(string ruleText);

    /// <summary>The papers <paramref name="ruleText"/> matches, in the order given. The rule must be valid.</summary>
    IReadOnlyList<MatchedPaper> Match(string ruleText, IReadOnlyList<Paper> papers);
}

/// <summary><see cref="IRuleEngine"/> over the rule language of <c>shared/Rules</c>: the parser's error text is
/// passed on unchanged, matches come from <see cref="RulePreview"/>.</summary>
public sealed class RuleLanguageEngine : IRuleEngine
{
    public RuleCheck Check(string ruleText)
    {
        ArgumentNullException.ThrowIfNull(ruleText);
        var parsed = RuleParser.Parse(ruleText);
        return parsed.IsSuccess ? new RuleCheck(null, null) : new RuleCheck(parsed.Error.Text, parsed.Error.Position);
    }

    public IReadOnlyList<MatchedPaper> Match(string ruleText, IReadOnlyList<Paper> papers)
    {
        var preview = RulePreview.Run(ruleText, papers);
        if (preview.Error is { } error)
        {
            throw new ArgumentException($"The rule does not parse: {error.Text}", nameof(ruleText));
        }

        return [.. preview.Matches.Select(match => new MatchedPaper(
            match.Paper,
            [.. match.MatchedWords.Select(word => word.Text).Distinct(StringComparer.OrdinalIgnoreCase)]))];
    }
}
