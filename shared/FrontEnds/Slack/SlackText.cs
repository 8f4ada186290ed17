using System.Text;
using System.Text.RegularExpressions;

namespace Digest.FrontEnds.Slack;

/// <summary>Reads what a person typed from Slack's text: Slack sends <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> as
/// entities, and mentions as <c>&lt;@U…&gt;</c>.</summary>
public static partial class SlackText
{
    /// <summary>Longest command text considered; longer input is cut.</summary>
    public const int MaxCommandLength = 2000;

    /// <summary>A command from a message or a slash command: the app's mention (an <c>app_mention</c> starts with it)
    /// and other mentions removed, entities decoded, whitespace collapsed, cut to <see cref="MaxCommandLength"/>.</summary>
    public static string Command(string? text)
    {
        var withoutMentions = Mention().Replace(text ?? "", " ");
        var decoded = withoutMentions.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal);
        var command = Whitespace().Replace(decoded, " ").Trim();
        if (command.Length <= MaxCommandLength)
        {
            return command;
        }

        var end = char.IsHighSurrogate(command[MaxCommandLength - 1]) ? MaxCommandLength - 1 : MaxCommandLength;
        return new StringBuilder(command, 0, end, end).ToString();
    }

    [GeneratedRegex("<@[A-Z0-9]+(\\|[^>]*)?>", RegexOptions.CultureInvariant)]
    private static partial Regex Mention();

    [GeneratedRegex("\\s+")]
    private static partial Regex Whitespace();
}
