using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Digest.Platforms.Teams.Schema;

namespace Digest.FrontEnds.Teams;

/// <summary>Reads what the user said from an activity: text without the bot's mention, or a card button's command.</summary>
public static partial class ActivityText
{
    /// <summary>Longest command text considered; longer input is cut (docs/protocols.md §2.5 B22).</summary>
    public const int MaxCommandLength = 2000;

    /// <summary>The command: a card's <c>data.command</c> (Action.Submit arrives as a message with a value) or the text
    /// with the bot's own mention removed.</summary>
    public static string CommandText(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (CardCommand(activity.Value) is { } fromCard)
        {
            return Limit(fromCard);
        }

        return Limit(StripBotMention(activity));
    }

    /// <summary>The <c>command</c> field of card data, for Action.Submit (the value itself) and Action.Execute
    /// (<c>value.action.data</c>).</summary>
    public static string? CardCommand(JsonElement? value)
    {
        if (value is not { ValueKind: JsonValueKind.Object } data)
        {
            return null;
        }

        if (data.TryGetProperty("action", out var action) && action.ValueKind == JsonValueKind.Object
            && action.TryGetProperty("data", out var executeData) && executeData.ValueKind == JsonValueKind.Object)
        {
            data = executeData;
        }

        return data.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.String ? command.GetString() : null;
    }

    /// <summary>Removes the mention of the bot, found by entity (<c>mentioned.id == recipient.id</c>, never by name),
    /// then any other <c>&lt;at&gt;</c> tags (keeping their text), <c>&amp;nbsp;</c>, and extra whitespace
    /// (docs/protocols.md §1.4).</summary>
    public static string StripBotMention(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var text = activity.Text ?? "";
        var botId = activity.Recipient?.Id;
        if (botId is not null && activity.Entities is { } entities)
        {
            foreach (var entity in entities)
            {
                if (!string.Equals(entity.Type, "mention", StringComparison.OrdinalIgnoreCase)
                    || !string.Equals(entity.Mentioned?.Id, botId, StringComparison.Ordinal))
                {
                    continue;
                }

                var mentionText = entity.Text ?? (entity.Mentioned?.Name is { } name ? $"<at>{name}</at>" : null);
                if (!string.IsNullOrEmpty(mentionText))
                {
                    text = text.Replace(mentionText, " ", StringComparison.OrdinalIgnoreCase);
                }
            }
        }

        text = AtTag().Replace(text, " ");
        text = text.Replace("&nbsp;", " ", StringComparison.OrdinalIgnoreCase);
        return Whitespace().Replace(text, " ").Trim();
    }

    private static string Limit(string text)
    {
        text = text.Trim();
        if (text.Length <= MaxCommandLength)
        {
            return text;
        }

        // Do not cut a surrogate pair in half.
        var end = char.IsHighSurrogate(text[MaxCommandLength - 1]) ? MaxCommandLength - 1 : MaxCommandLength;
        return new StringBuilder(text, 0, end, end).ToString();
    }

    [GeneratedRegex("</?at(\\s[^>]*)?>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AtTag();

    [GeneratedRegex("\\s+")]
    private static partial Regex Whitespace();
}
