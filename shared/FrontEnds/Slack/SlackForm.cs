using System.Buffers;
using System.Text;

namespace Digest.FrontEnds.Slack;

/// <summary>An <c>application/x-www-form-urlencoded</c> body as Slack sends slash commands and interactions, read
/// strictly: invalid UTF-8, a broken <c>%</c> escape or a field given twice makes the whole body malformed (400), so
/// two readers can never see two different requests in one signed body.</summary>
public static class SlackForm
{
    /// <summary>The fields of <paramref name="body"/>, or null when it is malformed.</summary>
    public static IReadOnlyDictionary<string, string>? TryParse(ReadOnlySpan<byte> body)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var range in text.AsSpan().Split('&'))
        {
            var pair = text.AsSpan(range);
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf('=');
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = Decode(equals < 0 ? [] : pair[(equals + 1)..]);
            if (name is null || value is null || name.Length == 0 || !fields.TryAdd(name, value))
            {
                return null;
            }
        }

        return fields;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    // '+' is a space and %XX an escaped byte; the field's bytes are then decoded as UTF-8, strictly. A literal
    // character never encodes to a UTF-8 continuation byte, so a broken sequence of escapes stays broken beside it.
    private static string? Decode(ReadOnlySpan<char> encoded)
    {
        var next = encoded.IndexOfAny('%', '+');
        if (next < 0)
        {
            return new string(encoded);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(encoded.Length));
        try
        {
            var length = 0;
            var index = 0;
            while (index < encoded.Length)
            {
                var literal = next < 0 ? encoded[index..] : encoded.Slice(index, next);
                length += Encoding.UTF8.GetBytes(literal, buffer.AsSpan(length));
                index += literal.Length;
                if (index == encoded.Length)
                {
                    break;
                }

                if (encoded[index] == '+')
                {
                    buffer[length++] = (byte)' ';
                    index++;
                }
                else if (index + 2 < encoded.Length && char.IsAsciiHexDigit(encoded[index + 1]) && char.IsAsciiHexDigit(encoded[index + 2]))
                {
                    buffer[length++] = (byte)((HexDigit(encoded[index + 1]) << 4) | HexDigit(encoded[index + 2]));
                    index += 3;
                }
                else
                {
                    return null;
                }

                next = encoded[index..].IndexOfAny('%', '+');
            }

            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int HexDigit(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
