using System.Globalization;
using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>remove n</c> (by the number <c>rules</c> shows) or <c>remove id:…</c> (a button, which names the rule).</summary>
internal sealed class RemoveRuleCommand(SubscriptionStore store) : IConversationCommand
{
    /// <summary>What a button's command puts before the rule id.</summary>
    public const string IdPrefix = "id:";

    public IReadOnlyList<string> Names { get; } = ["remove"];

    /// <summary>The command a Remove button sends for <paramref name="rule"/>.</summary>
    public static string ButtonCommand(StoredRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return "remove " + IdPrefix + rule.RowKey;
    }

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var argument = request.Argument;
        if (argument.StartsWith(IdPrefix, StringComparison.OrdinalIgnoreCase))
        {
            // A button names the rule, so a second click (or a stale list) never removes another one.
            return CommandResult.Text(await store.RemoveRuleByIdAsync(request.Key, argument[IdPrefix.Length..].Trim(), cancellationToken).ConfigureAwait(false) is { } byId
                ? Removed(byId)
                : Plain("That rule was already removed."));
        }

        if (!int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return CommandResult.Text("Usage: " + Strong("remove") + " " + Emphasis("n") + ", where n is the number " + Strong("rules") + " shows.");
        }

        if (await store.RemoveRuleAsync(request.Key, number, cancellationToken).ConfigureAwait(false) is { } removed)
        {
            return CommandResult.Text(Removed(removed));
        }

        var count = (await store.ListRulesAsync(request.Key, cancellationToken).ConfigureAwait(false)).Count;
        return CommandResult.Text(Plain(FormattableString.Invariant($"There is no rule {number}; this conversation has {SubscribeCommand.Plural(count, "rule")}.")));
    }

    private static RichText Removed(StoredRule rule) => Plain(FormattableString.Invariant($"Removed rule {rule.Number}: {rule.Text}"));
}
