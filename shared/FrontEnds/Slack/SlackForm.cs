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
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = Decode(equals < 0 ? "" : pair[(equals + 1)..]);
            if (name is null || value is null || name.Length == 0 || !fields.TryAdd(name, value))
            {
                return null;
            }
        }

        return fields;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    // '+' is a space; a run of %XX escapes is UTF-8 bytes, decoded strictly.
    private static string? Decode(string encoded)
    {
        var builder = new StringBuilder(encoded.Length);
        var bytes = new List<byte>();
        for (var index = 0; index < encoded.Length; index++)
        {
            var c = encoded[index];
            if (c == '%')
            {
                if (index + 2 >= encoded.Length || !char.IsAsciiHexDigit(encoded[index + 1]) || !char.IsAsciiHexDigit(encoded[index + 2]))
                {
                    return null;
                }

                bytes.Add(Convert.ToByte(encoded.Substring(index + 1, 2), 16));
                index += 2;
                continue;
            }

            if (!Flush(bytes, builder))
            {
                return null;
            }

            builder.Append(c == '+' ? ' ' : c);
        }

        return Flush(bytes, builder) ? builder.ToString() : null;
    }

    private static bool Flush(List<byte> bytes, StringBuilder builder)
    {
        if (bytes.Count == 0)
        {
            return true;
        }

        try
        {
            builder.Append(StrictUtf8.GetString([.. bytes]));
            bytes.Clear();
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
