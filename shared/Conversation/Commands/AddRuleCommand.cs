using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>add rule</c>: checks the rule, stores it, and previews what it would have matched recently.</summary>
internal sealed class AddRuleCommand(SubscriptionStore store, IPaperSource papers, IRuleEngine rules, TimeProvider time) : IConversationCommand
{
    /// <summary>Longest rule accepted.</summary>
    public const int MaxRuleLength = 500;

    /// <summary>How far back the preview looks.</summary>
    public const int PreviewDays = 7;

    private const int PreviewExamples = 3;

    public IReadOnlyList<string> Names { get; } = ["add"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ruleText = request.Argument;
        if (ruleText.Length == 0)
        {
            return CommandResult.Text("Usage: " + Strong("add") + " " + Emphasis("rule") + ", for example: add \"large language model\" AND (quantization OR pruning)");
        }

        if (ruleText.Length > MaxRuleLength)
        {
            return CommandResult.Text(Plain(FormattableString.Invariant($"That rule is {ruleText.Length} characters long; the limit is {MaxRuleLength}.")));
        }

        var check = await rules.CheckAsync(ruleText, cancellationToken).ConfigureAwait(false);
        if (!check.IsValid)
        {
            return CommandResult.Text(Plain($"That rule has a problem: {check.Error}"));
        }

        var added = await store.AddRuleAsync(request.Key, ruleText, cancellationToken).ConfigureAwait(false);
        if (added is null)
        {
            return CommandResult.Text("This conversation has the most rules allowed; remove one first (" + Strong("rules") + ", then " + Strong("remove") + " " + Emphasis("n") + ").");
        }

        // "Recent" as deliveries count it: when the crawl first saw a paper, not the daily date it is listed under (a
        // backfilled page lists old dates), so the preview and the next digest agree.
        var now = time.GetUtcNow();
        var recent = await papers.ListNewAsync(now.AddDays(-PreviewDays), now, cancellationToken).ConfigureAwait(false);
        var hits = await rules.MatchAsync(ruleText, recent, cancellationToken).ConfigureAwait(false);
        var heading = FormattableString.Invariant(
            $"Rule {added.Number} added: {ruleText}. Among the papers first seen in the last {PreviewDays} days it would have matched {SubscribeCommand.Plural(hits.Count, "paper")}{(hits.Count > 0 ? ", for example:" : ".")}");
        return CommandResult.Of(new PapersReply(heading, [.. hits.Take(PreviewExamples)], hits.Count), FormattableString.Invariant($"Rule {added.Number} added."));
    }
}
