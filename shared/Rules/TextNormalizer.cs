using System.Globalization;
using System.Text;

namespace Digest.Rules;

/// <summary>A normalized word of a text and the span of the original text it came from.</summary>
/// <param name="Word">The normalized word (see <see cref="TextNormalizer"/>).</param>
/// <param name="Start">Offset of the original run of characters the word came from.</param>
/// <param name="Length">Length of that original run.</param>
public readonly record struct WordToken(string Word, int Start, int Length);

/// <summary>
/// The one place where text becomes words. Rule terms, rule phrases and paper fields all go through it,
/// so both sides of a match are always cut and folded the same way.
/// </summary>
/// <remarks>
/// <para>The rules of normalization:</para>
/// <list type="number">
/// <item><description>A <em>run</em> is a maximal stretch of letters, digits and combining marks (anything else is a separator:
/// spaces, punctuation, hyphens, apostrophes, slashes, symbols, emoji).</description></item>
/// <item><description>Each run is decomposed with Unicode NFKD (compatibility decomposition: <c>ﬁ</c> becomes <c>fi</c>,
/// <c>²</c> becomes <c>2</c>, <c>ö</c> becomes <c>o</c> plus a combining diaeresis).</description></item>
/// <item><description>Combining marks are dropped, so accents do not matter: <c>Schrödinger</c> = <c>schrodinger</c>.</description></item>
/// <item><description>Letters are case folded with the invariant lower case: <c>LoRA</c> = <c>lora</c>.</description></item>
/// <item><description>Only letters (Unicode L*) and numbers (Unicode N*) make words; digits are word characters
/// (<c>gpt4</c>, <c>3d</c>, <c>7b</c> are single words). Whatever else the decomposition produced splits the run
/// (<c>½</c> becomes the words <c>1</c> and <c>2</c>).</description></item>
/// <item><description>Hence hyphens and punctuation split words on both sides: the text <c>low-rank</c> is the words
/// <c>low</c>, <c>rank</c>; the rule term <c>low-rank</c> is the phrase <c>"low rank"</c>, and both match either spelling.
/// <c>model's</c> is <c>model</c>, <c>s</c>; <c>16.0</c> is <c>16</c>, <c>0</c>; <c>lowrank</c> stays one word.</description></item>
/// <item><description>No stemming and no stop words: <c>model</c> does not match <c>models</c> (use <c>model*</c>),
/// and <c>ß</c> is not folded to <c>ss</c>.</description></item>
/// </list>
/// <para>A word's span is the original run it came from, so highlighting a word in <c>Schrödinger</c> covers the
/// accented original; when one run yields several words (<c>½</c>) they share the run's span.</para>
/// </remarks>
public static class TextNormalizer
{
    /// <summary>The normalized words of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        var scanner = new WordScanner(text);
        while (scanner.MoveNext())
        {
            words.Add(scanner.Current.ToString());
        }

        return words;
    }

    /// <summary>The normalized words of <paramref name="text"/> with the spans they came from.</summary>
    public static IReadOnlyList<WordToken> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<WordToken>();
        var scanner = new WordScanner(text);
        while (scanner.MoveNext())
        {
            tokens.Add(new WordToken(scanner.Current.ToString(), scanner.RunStart, scanner.RunLength));
        }

        return tokens;
    }

    /// <summary>The normalized words of <paramref name="text"/> joined by single spaces (<c>Low-Rank</c> → <c>low rank</c>).</summary>
    public static string Normalize(string text) => string.Join(' ', Words(text));

    /// <summary>Whether <paramref name="c"/> can be part of a run (see the rules above).</summary>
    internal static bool IsRunChar(char c)
    {
        if (c < 0x80)
        {
            return char.IsAsciiLetterOrDigit(c);
        }

        if (char.IsSurrogate(c))
        {
            // Decided per code point once the run is decomposed; a symbol such as an emoji splits there.
            return true;
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
            _ => false,
        };
    }

    /// <summary>
    /// NFKD, drop marks, lower case; every code point that is not a letter or number becomes a space.
    /// Lone surrogates (invalid UTF-16) become spaces first, because <see cref="string.Normalize(NormalizationForm)"/> rejects them.
    /// </summary>
    internal static string NormalizeRun(ReadOnlySpan<char> run)
    {
        var valid = new StringBuilder(run.Length);
        for (var i = 0; i < run.Length; i++)
        {
            var c = run[i];
            if (char.IsHighSurrogate(c) && i + 1 < run.Length && char.IsLowSurrogate(run[i + 1]))
            {
                valid.Append(c).Append(run[i + 1]);
                i++;
            }
            else
            {
                valid.Append(char.IsSurrogate(c) ? ' ' : c);
            }
        }

        var decomposed = valid.ToString().Normalize(NormalizationForm.FormKD);
        var folded = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            switch (Rune.GetUnicodeCategory(rune))
            {
                case UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark:
                    break;
                case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                    or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                    or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber:
                    folded.Append(Rune.ToLowerInvariant(rune).ToString());
                    break;
                default:
                    folded.Append(' ');
                    break;
            }
        }

        return folded.ToString();
    }
}

/// <summary>
/// Walks the words of a text without allocating for ASCII runs (the common case in paper text);
/// a run with other characters goes through <see cref="TextNormalizer.NormalizeRun"/>.
/// </summary>
internal ref struct WordScanner
{
    private readonly ReadOnlySpan<char> _text;
    private int _position;
    private char[] _buffer;
    private string? _pending;
    private int _pendingPosition;

    public WordScanner(ReadOnlySpan<char> text, char[]? buffer = null)
    {
        _text = text;
        _buffer = buffer ?? new char[64];
    }

    /// <summary>The current normalized word; valid until the next <see cref="MoveNext"/>.</summary>
    public ReadOnlySpan<char> Current { get; private set; }

    /// <summary>Offset of the original run of the current word.</summary>
    public int RunStart { get; private set; }

    /// <summary>Length of the original run of the current word.</summary>
    public int RunLength { get; private set; }

    /// <summary>The scratch buffer, possibly grown, so a caller can keep it for the next text.</summary>
    public readonly char[] Buffer => _buffer;

    public bool MoveNext()
    {
        while (true)
        {
            if (_pending is not null)
            {
                var pending = _pending.AsSpan();
                while (_pendingPosition < pending.Length && pending[_pendingPosition] == ' ')
                {
                    _pendingPosition++;
                }

                if (_pendingPosition < pending.Length)
                {
                    var end = pending[_pendingPosition..].IndexOf(' ');
                    var length = end < 0 ? pending.Length - _pendingPosition : end;
                    Current = pending.Slice(_pendingPosition, length);
                    _pendingPosition += length;
                    return true;
                }

                _pending = null;
            }

            var text = _text;
            while (_position < text.Length && !TextNormalizer.IsRunChar(text[_position]))
            {
                _position++;
            }

            if (_position >= text.Length)
            {
                return false;
            }

            var start = _position;
            var ascii = true;
            while (_position < text.Length && TextNormalizer.IsRunChar(text[_position]))
            {
                ascii &= text[_position] < 0x80;
                _position++;
            }

            RunStart = start;
            RunLength = _position - start;
            if (ascii)
            {
                if (_buffer.Length < RunLength)
                {
                    _buffer = new char[Math.Max(RunLength, _buffer.Length * 2)];
                }

                var word = _buffer.AsSpan(0, RunLength);
                text.Slice(start, RunLength).ToLowerInvariant(word);
                Current = word;
                return true;
            }

            _pending = TextNormalizer.NormalizeRun(text.Slice(start, RunLength));
            _pendingPosition = 0;
        }
    }
}
