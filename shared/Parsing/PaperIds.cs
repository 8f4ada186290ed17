using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Digest.Parsing;

/// <summary>How papers are keyed: the version-less arXiv id, or a stable id derived from the title.</summary>
public static partial class PaperIds
{
    /// <summary>The prefix of ids derived from a title (<see cref="FromTitle"/>).</summary>
    public const string TitlePrefix = "title-";

    /// <summary>
    /// Removes the version suffix of an arXiv id: <c>2407.21783v2</c> → <c>2407.21783</c>,
    /// <c>hep-th/9901001v3</c> → <c>hep-th/9901001</c>. Other strings are only trimmed.
    /// </summary>
    public static string StripVersion(string arxivId)
    {
        ArgumentNullException.ThrowIfNull(arxivId);
        var trimmed = arxivId.Trim();
        var match = VersionedArxivId().Match(trimmed);
        return match.Success ? match.Groups["id"].Value : trimmed;
    }

    /// <summary>Whether <paramref name="id"/> looks like an arXiv id (new style <c>2407.21783</c> or old style <c>hep-th/9901001</c>), with or without a version.</summary>
    public static bool IsArxivId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return VersionedArxivId().IsMatch(id.Trim());
    }

    /// <summary>
    /// A stable id for a paper without an arXiv id: <c>title-</c> followed by the first 16 lower-case hex digits of the
    /// SHA-256 of the UTF-8 bytes of <see cref="NormalizeTitleForId"/>(<paramref name="title"/>).
    /// Titles that differ only in case, accents, punctuation or whitespace get the same id.
    /// </summary>
    /// <exception cref="ArgumentException">The title has no letter or digit.</exception>
    public static string FromTitle(string title)
    {
        var normalized = NormalizeTitleForId(title);
        if (normalized.Length == 0)
        {
            throw new ArgumentException("A title id needs a title with at least one letter or digit.", nameof(title));
        }

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(normalized), hash);
        return TitlePrefix + Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>
    /// The key text behind <see cref="FromTitle"/>: Unicode compatibility decomposition (NFKD), combining marks removed
    /// (accents: <c>é</c> → <c>e</c>), lower-cased with the invariant culture, every run of characters that are not letters
    /// or digits (punctuation, symbols, whitespace) replaced by one space, then trimmed.
    /// <c>"  Attention Is All You Need!"</c> and <c>"attention is  all you need"</c> both give <c>attention is all you need</c>.
    /// </summary>
    public static string NormalizeTitleForId(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        var decomposed = title.Normalize(NormalizationForm.FormKD);
        var builder = new StringBuilder(decomposed.Length);
        var pendingSeparator = false;
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in decomposed.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
            {
                continue;
            }

            if (!Rune.IsLetterOrDigit(rune))
            {
                pendingSeparator = builder.Length > 0;
                continue;
            }

            if (pendingSeparator)
            {
                builder.Append(' ');
                pendingSeparator = false;
            }

            var length = Rune.ToLowerInvariant(rune).EncodeToUtf16(utf16);
            builder.Append(utf16[..length]);
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"^(?<id>(?:\d{4}\.\d{4,5})|(?:[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionedArxivId();
}
