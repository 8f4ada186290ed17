using Digest.Delivery;
using Digest.Rules;
using Digest.Subscriptions;

namespace Digest.Conversation;

/// <summary>A command the help lists; <see cref="ButtonCommand"/> makes it a button where the platform has them.</summary>
public sealed record CommandHelp(string Usage, string Description, string? ButtonCommand = null);

/// <summary>What the command core answers, platform-neutral: each front end renders it (Adaptive Cards in Teams,
/// Block Kit in Slack).</summary>
public abstract record Reply;

/// <summary>A short message.</summary>
public sealed record TextReply(RichText Text) : Reply;

/// <summary>The list of commands under a heading.</summary>
public sealed record HelpReply(string Heading, IReadOnlyList<CommandHelp> Commands) : Reply;

/// <summary>The conversation's rules, numbered, each removable by its id.</summary>
/// <summary>The rules, and what the subscription's feedback taught when it has enough (<see cref="FeedbackRanking"/>).</summary>
public sealed record RulesReply(IReadOnlyList<StoredRule> Rules, LearnedTerms? Learned = null) : Reply;

/// <summary>Papers under a heading (a rule's preview); <see cref="Total"/> counts the ones not shown too.</summary>
public sealed record PapersReply(string Heading, IReadOnlyList<MatchedPaper> Papers, int Total) : Reply;

/// <summary>Labelled values (status).</summary>
public sealed record FactsReply(string Heading, IReadOnlyList<KeyValuePair<string, string>> Facts) : Reply;

/// <summary>The result of a command: the reply to show, if any (a digest that went out as messages needs none), and a
/// one-line summary for platforms that answer a button with text.</summary>
public sealed record CommandResult(Reply? Reply, string Summary)
{
    public static CommandResult Of(Reply reply, string summary) => new(reply, summary);

    public static CommandResult Text(RichText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(new TextReply(text), text.PlainText);
    }
}
