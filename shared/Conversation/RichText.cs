using System.Collections.Immutable;

namespace Digest.Conversation;

/// <summary>How a run of <see cref="RichText"/> is shown.</summary>
public enum TextStyle
{
    /// <summary>Shown as it is: user and page text always goes in plain runs, which every renderer escapes.</summary>
    Plain,

    /// <summary>Bold: command names the user can type.</summary>
    Strong,

    /// <summary>Italic: placeholders such as <c>rule</c> in <c>add rule</c>.</summary>
    Emphasis,
}

/// <summary>One run of text in one style.</summary>
public sealed record TextRun(string Text, TextStyle Style);

/// <summary>
/// A short formatted text, platform-neutral: each front end renders it in its own markup (Teams Markdown, Slack mrkdwn)
/// and escapes every run, so text a user typed or a page carried can never format, link or mention.
/// </summary>
public sealed record RichText(ImmutableArray<TextRun> Runs)
{
    public static RichText Empty { get; } = new([]);

    /// <summary>The text without styles (logs, invoke summaries, notification fallbacks).</summary>
    public string PlainText => string.Concat(Runs.Select(run => run.Text));

    public static RichText Plain(string text) => new([new TextRun(text, TextStyle.Plain)]);

    public static RichText Strong(string text) => new([new TextRun(text, TextStyle.Strong)]);

    public static RichText Emphasis(string text) => new([new TextRun(text, TextStyle.Emphasis)]);

    public static implicit operator RichText(string text) => Plain(text);

    public static RichText operator +(RichText left, RichText right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new RichText(left.Runs.AddRange(right.Runs));
    }

    public static RichText FromString(string text) => Plain(text);

    public static RichText Add(RichText left, RichText right) => left + right;

    public override string ToString() => PlainText;

    public bool Equals(RichText? other) => other is not null && Runs.SequenceEqual(other.Runs);

    public override int GetHashCode() => Runs.Aggregate(0, (hash, run) => HashCode.Combine(hash, run));
}
