using System.Text;

namespace Digest.Parsing;

/// <summary>Turns page text into the plain, single-line text stored for titles, abstracts and names.</summary>
internal static class TextCleaner
{
    /// <summary>
    /// Collapses every run of whitespace (line breaks from arXiv wrapping, tabs, no-break spaces) to one space,
    /// drops other control characters and lone surrogates, and trims.
    /// The result never contains a control character, so it is safe in a table cell or a chat message.
    /// </summary>
    public static string Normalize(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        if (IsAlreadyNormal(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        var pendingSpace = false;
        for (var index = 0; index < text.Length; index++)
        {
            var character = text[index];
            if (char.IsWhiteSpace(character))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (char.IsHighSurrogate(character) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
            {
                AppendPendingSpace(builder, ref pendingSpace);
                builder.Append(character).Append(text[index + 1]);
                index++;
                continue;
            }

            // Other control characters (NUL, ESC, DEL…) and lone surrogates are noise, never text.
            if (char.IsControl(character) || char.IsSurrogate(character))
            {
                continue;
            }

            AppendPendingSpace(builder, ref pendingSpace);
            builder.Append(character);
        }

        return builder.ToString();
    }

    /// <summary>Like <see cref="Normalize"/>, but <see langword="null"/> when nothing is left.</summary>
    public static string? NormalizeOrNull(string? text)
    {
        var normalized = Normalize(text);
        return normalized.Length == 0 ? null : normalized;
    }

    private static void AppendPendingSpace(StringBuilder builder, ref bool pendingSpace)
    {
        if (pendingSpace)
        {
            builder.Append(' ');
            pendingSpace = false;
        }
    }

    // Most titles and names need no work; checking first avoids an allocation per field.
    private static bool IsAlreadyNormal(string text)
    {
        if (text[0] == ' ' || text[^1] == ' ')
        {
            return false;
        }

        var previousWasSpace = false;
        foreach (var character in text)
        {
            if (character == ' ')
            {
                if (previousWasSpace)
                {
                    return false;
                }

                previousWasSpace = true;
                continue;
            }

            if (char.IsWhiteSpace(character) || char.IsControl(character) || char.IsSurrogate(character))
            {
                return false;
            }

            previousWasSpace = false;
        }

        return true;
    }
}
