using Digest.Papers;
using Digest.Rules;

namespace Digest.Bot;

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

    public IReadOnlyList<RuleHit> Match(string ruleText, IReadOnlyList<Paper> papers)
    {
        var preview = RulePreview.Run(ruleText, papers);
        if (preview.Error is { } error)
        {
            throw new ArgumentException($"The rule does not parse: {error.Text}", nameof(ruleText));
        }

        return [.. preview.Matches.Select(match => new RuleHit(
            match.Paper,
            [.. match.MatchedWords.Select(word => word.Text).Distinct(StringComparer.OrdinalIgnoreCase)]))];
    }
}
