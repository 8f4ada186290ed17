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
    Task<RuleCheck> CheckAsync(string ruleText, CancellationToken cancellationToken);

    /// <summary>The papers <paramref name="ruleText"/> matches, in the order given. The rule must be valid.</summary>
    Task<IReadOnlyList<MatchedPaper>> MatchAsync(string ruleText, IReadOnlyList<Paper> papers, CancellationToken cancellationToken);
}

/// <summary><see cref="IRuleEngine"/> over the rule language of <c>shared/Rules</c>: the parser's error text is
/// passed on unchanged, matches come from <see cref="RulePreview"/>. A <c>like:</c> rule is checked and matched against
/// the stored papers' statistics (<see cref="PaperCorpus"/>), read only for such rules.</summary>
public sealed class RuleLanguageEngine(PaperCorpus corpus) : IRuleEngine
{
    public async Task<RuleCheck> CheckAsync(string ruleText, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ruleText);
        var parsed = RuleParser.Parse(ruleText, await StatisticsForAsync(ruleText, cancellationToken).ConfigureAwait(false));
        return parsed.IsSuccess ? new RuleCheck(null, null) : new RuleCheck(parsed.Error.Text, parsed.Error.Position);
    }

    public async Task<IReadOnlyList<MatchedPaper>> MatchAsync(string ruleText, IReadOnlyList<Paper> papers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ruleText);
        var preview = RulePreview.Run(ruleText, papers, await StatisticsForAsync(ruleText, cancellationToken).ConfigureAwait(false));
        if (preview.Error is { } error)
        {
            throw new ArgumentException($"The rule does not parse: {error.Text}", nameof(ruleText));
        }

        return [.. preview.Matches.Select(match => new MatchedPaper(
            match.Paper,
            [.. match.MatchedWords.Select(word => word.Text).Distinct(StringComparer.OrdinalIgnoreCase)]))];
    }

    private async Task<CorpusStatistics?> StatisticsForAsync(string ruleText, CancellationToken cancellationToken) =>
        PaperCorpus.NeedsStatistics([ruleText]) ? await corpus.GetAsync(cancellationToken).ConfigureAwait(false) : null;
}
