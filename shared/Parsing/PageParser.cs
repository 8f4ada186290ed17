using System.Text;
using System.Text.Json;
using AngleSharp.Html.Parser;

namespace Digest.Parsing;

/// <summary>
/// Reads a stored Daily Papers page into papers. Pure and synchronous: no I/O, no clock, no shared mutable state, so one
/// instance can be reused from any number of threads.
/// </summary>
/// <remarks>
/// <para>The format is decided by the body, with the content type as a hint and a veto:</para>
/// <list type="number">
/// <item>An empty or whitespace-only body, a media content type (<c>image/*</c>, <c>audio/*</c>, <c>video/*</c>,
/// <c>font/*</c>, PDF, ZIP, gzip) or a binary body (a known file signature or a NUL byte near the start) is rejected.</item>
/// <item>A body whose first non-blank character is <c>[</c> or <c>{</c> is JSON: an array is an <c>/api/daily_papers</c>
/// response (<see cref="ParsePath.ApiJson"/>); an object with a <c>dailyPapers</c> array is a saved <c>data-props</c>
/// (<see cref="ParsePath.DataProps"/>); any other object (<c>{"error":"…"}</c>) is rejected.</item>
/// <item>A body starting with <c>&lt;</c> is HTML: the <c>data-props</c> of <c>[data-target="DailyPapers"]</c> first
/// (<see cref="ParsePath.DataProps"/>), the cards when it is missing, or broken and cards exist
/// (<see cref="ParsePath.Cards"/>, with a warning when broken).</item>
/// <item>Anything else is the plain-text rendering of a list page (<see cref="ParsePath.PlainText"/>) when it has that
/// page's header or a date line, and is rejected otherwise.</item>
/// </list>
/// <para>The text encoding comes from a byte order mark, else the content type's charset, else UTF-8.</para>
/// <para>The daily date of a paper is <c>paper.submittedOnDailyAt</c> when the page carries it, else the date the page says
/// it shows, else <see cref="PageToParse.RequestedDate"/>, else the UTC date of <see cref="PageToParse.FetchedAt"/>.</para>
/// </remarks>
public sealed class PageParser
{
    /// <summary>The parser version, stored with each snapshot's outcome. Bump it when a change alters what a page yields.</summary>
    public const int Version = 1;

    private static readonly string[] MediaTypePrefixes = ["image/", "audio/", "video/", "font/"];

    private static readonly string[] BinaryMediaTypes =
        ["application/pdf", "application/zip", "application/gzip", "application/x-gzip", "application/x-protobuf"];

    private static readonly (string Name, byte[] Signature)[] BinarySignatures =
    [
        ("PNG image", [0x89, (byte)'P', (byte)'N', (byte)'G']),
        ("JPEG image", [0xFF, 0xD8, 0xFF]),
        ("GIF image", "GIF8"u8.ToArray()),
        ("PDF document", "%PDF"u8.ToArray()),
        ("gzip stream", [0x1F, 0x8B]),
        ("ZIP archive", [(byte)'P', (byte)'K', 0x03, 0x04]),
        ("RIFF (WebP/WAV) file", "RIFF"u8.ToArray()),
    ];

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 128 };

    /// <summary>Reads <paramref name="page"/>.</summary>
    /// <returns>The papers (one per id, in page order), the path used, the page's date and any warnings.</returns>
    /// <exception cref="PageParseException">The page is empty, binary, malformed, or of no known format; the message says what and where.</exception>
    public ParsedPage Parse(PageToParse page)
    {
        ArgumentNullException.ThrowIfNull(page);
        var warnings = new List<string>();
        var bytes = page.Content;
        var mediaType = MediaTypeOf(page.ContentType);

        RejectNonPages(page, bytes.Span, mediaType);

        var encoding = DetectEncoding(bytes.Span, page.ContentType, warnings, out var bomLength);
        var body = bytes[bomLength..];
        var first = FirstSignificantCharacter(body.Span, encoding);
        if (first is null)
        {
            throw Fail(page, $"The body is empty ({bytes.Length} bytes, only whitespace).");
        }

        switch (first)
        {
            case '[' or '{':
                WarnIfTypeDisagrees(mediaType, "JSON", warnings, "application/json", "text/json", "+json");
                return encoding is UTF8Encoding
                    ? ParseJson(page, () => JsonDocument.Parse(body, JsonOptions), warnings)
                    : ParseJson(page, () => JsonDocument.Parse(encoding.GetString(body.Span), JsonOptions), warnings);

            case '<':
                WarnIfTypeDisagrees(mediaType, "HTML", warnings, "text/html", "application/xhtml+xml");
                return ParseHtml(page, encoding.GetString(body.Span), warnings);

            default:
                var text = encoding.GetString(body.Span);
                if (!PlainTextPageReader.LooksLikePlainTextPage(text))
                {
                    throw Fail(page,
                        $"The body is not HTML, JSON or a plain-text Daily Papers page (content type '{page.ContentType ?? "none"}', " +
                        $"starts with '{Excerpt(text)}').");
                }

                return PlainTextPageReader.Read(text, page, warnings);
        }
    }

    private static ParsedPage ParseJson(PageToParse page, Func<JsonDocument> parse, List<string> warnings)
    {
        JsonDocument document;
        try
        {
            document = parse();
        }
        catch (JsonException exception)
        {
            throw Fail(page, $"The body is not valid JSON ({JsonPosition(exception)}): {exception.Message}", exception);
        }

        using (document)
        {
            var root = document.RootElement;
            var papers = new PaperCollector(warnings);
            if (root.ValueKind == JsonValueKind.Array)
            {
                DailyPapersJson.ReadItems(root, DefaultDate(page, pageDate: null), papers, warnings, arrayName: string.Empty);
                return new ParsedPage(papers.Papers, ParsePath.ApiJson, null, warnings);
            }

            if (DailyPapersJson.GetArray(root, "dailyPapers") is { } items)
            {
                var pageDate = DailyPapersJson.ReadPageDate(root);
                DailyPapersJson.ReadItems(items, DefaultDate(page, pageDate), papers, warnings, "dailyPapers");
                return new ParsedPage(papers.Papers, ParsePath.DataProps, pageDate, warnings);
            }

            throw Fail(page, DescribeUnexpectedJson(root, "The body"));
        }
    }

    private static ParsedPage ParseHtml(PageToParse page, string html, List<string> warnings)
    {
        var parser = new HtmlParser(new HtmlParserOptions
        {
            SkipComments = true,
            DisableElementPositionTracking = true,
        });
        using var document = parser.ParseDocument(html);

        var island = document.QuerySelectorAll("[data-target='DailyPapers']")
            .FirstOrDefault(element => element.HasAttribute("data-props"));
        if (island is not null)
        {
            var props = island.GetAttribute("data-props") ?? string.Empty;
            var problem = TryReadDataProps(page, props, warnings, out var parsed);
            if (parsed is not null)
            {
                return parsed;
            }

            if (!CardsReader.HasCards(document))
            {
                throw Fail(page, $"{problem} The page has no paper cards to fall back to.");
            }

            warnings.Add($"{problem} Read the paper cards instead.");
        }
        else if (!CardsReader.HasCards(document))
        {
            var title = TextCleaner.Normalize(document.Title);
            throw Fail(page,
                $"The HTML page has neither a DailyPapers data-props island nor paper cards (page title '{Excerpt(title)}', " +
                $"{html.Length} characters).");
        }

        var pageDate = CardsReader.ReadPageDate(document);
        var cards = CardsReader.Read(document, DefaultDate(page, pageDate), warnings);
        var collector = new PaperCollector(warnings);
        for (var index = 0; index < cards.Count; index++)
        {
            collector.Add(cards[index], $"card {index + 1}");
        }

        return new ParsedPage(collector.Papers, ParsePath.Cards, pageDate, warnings);
    }

    /// <returns>What is wrong with the data-props, or <see langword="null"/> when <paramref name="parsed"/> was read.</returns>
    private static string? TryReadDataProps(PageToParse page, string props, List<string> warnings, out ParsedPage? parsed)
    {
        parsed = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(props, JsonOptions);
        }
        catch (JsonException exception)
        {
            return $"The DailyPapers data-props ({props.Length} characters) is not valid JSON ({JsonPosition(exception)}): {exception.Message}";
        }

        using (document)
        {
            var root = document.RootElement;
            if (DailyPapersJson.GetArray(root, "dailyPapers") is not { } items)
            {
                return DescribeUnexpectedJson(root, "The DailyPapers data-props");
            }

            var pageDate = DailyPapersJson.ReadPageDate(root);
            var papers = new PaperCollector(warnings);
            DailyPapersJson.ReadItems(items, DefaultDate(page, pageDate), papers, warnings, "dailyPapers");
            parsed = new ParsedPage(papers.Papers, ParsePath.DataProps, pageDate, warnings);
            return null;
        }
    }

    private static DateOnly DefaultDate(PageToParse page, DateOnly? pageDate) =>
        pageDate ?? page.RequestedDate ?? DateOnly.FromDateTime(page.FetchedAt.UtcDateTime);

    private static void RejectNonPages(PageToParse page, ReadOnlySpan<byte> bytes, string? mediaType)
    {
        if (bytes.IsEmpty)
        {
            throw Fail(page, "The body is empty (0 bytes).");
        }

        if (mediaType is not null
            && (MediaTypePrefixes.Any(prefix => mediaType.StartsWith(prefix, StringComparison.Ordinal))
                || BinaryMediaTypes.Contains(mediaType, StringComparer.Ordinal)))
        {
            throw Fail(page, $"The body is '{mediaType}' content ({bytes.Length} bytes), not a page.");
        }

        foreach (var (name, signature) in BinarySignatures)
        {
            if (bytes.StartsWith(signature))
            {
                throw Fail(page, $"The body is a {name} ({bytes.Length} bytes), not a page.");
            }
        }

        // UTF-16 text has NUL bytes by design; anything else with one is binary.
        var isUtf16 = bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])
            || (page.ContentType?.Contains("utf-16", StringComparison.OrdinalIgnoreCase) ?? false);
        var nul = bytes[..Math.Min(bytes.Length, 4096)].IndexOf((byte)0);
        if (!isUtf16 && nul >= 0)
        {
            throw Fail(page, $"The body is binary (a NUL byte at offset {nul}), not a page.");
        }
    }

    private static Encoding DetectEncoding(ReadOnlySpan<byte> bytes, string? contentType, List<string> warnings, out int bomLength)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bomLength = 3;
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            bomLength = 2;
            return Encoding.Unicode;
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            bomLength = 2;
            return Encoding.BigEndianUnicode;
        }

        bomLength = 0;

        var charset = CharsetOf(contentType);
        if (charset is null)
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }

        try
        {
            var encoding = Encoding.GetEncoding(charset);
            return encoding.CodePage == Encoding.UTF8.CodePage ? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false) : encoding;
        }
        catch (ArgumentException)
        {
            warnings.Add($"Unknown charset '{charset}' in the content type; read the body as UTF-8.");
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }
    }

    private static char? FirstSignificantCharacter(ReadOnlySpan<byte> body, Encoding encoding)
    {
        // Decode only a small prefix: enough to see past leading whitespace in any sane page.
        var prefix = body[..Math.Min(body.Length, 4096)];
        foreach (var character in encoding.GetString(prefix))
        {
            if (!char.IsWhiteSpace(character) && character != '\uFEFF')
            {
                return character;
            }
        }

        return body.Length > prefix.Length ? FirstSignificantCharacter(body[prefix.Length..], encoding) : null;
    }

    private static void WarnIfTypeDisagrees(string? mediaType, string format, List<string> warnings, params string[] expected)
    {
        if (mediaType is null || mediaType == "text/plain" || mediaType == "application/octet-stream"
            || expected.Any(e => e.StartsWith('+') ? mediaType.EndsWith(e, StringComparison.Ordinal) : mediaType == e))
        {
            return;
        }

        warnings.Add($"The content type is '{mediaType}' but the body is {format}; read it as {format}.");
    }

    private static string? MediaTypeOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return mediaType.Length == 0 ? null : mediaType.ToLowerInvariant();
    }

    private static string? CharsetOf(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        foreach (var parameter in contentType.Split(';').Skip(1))
        {
            var pair = parameter.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length == 2 && pair[0].Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                return pair[1].Trim('"', '\'');
            }
        }

        return null;
    }

    private static string DescribeUnexpectedJson(JsonElement root, string what)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return $"{what} is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not a Daily Papers list.";
        }

        if (root.TryGetProperty("error", out var error))
        {
            var message = error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText();
            return $"{what} is a JSON error object, not a Daily Papers list: error '{Excerpt(TextCleaner.Normalize(message))}'.";
        }

        var keys = string.Join(", ", root.EnumerateObject().Take(10).Select(property => property.Name));
        return $"{what} is a JSON object without a dailyPapers array (keys: {(keys.Length == 0 ? "none" : keys)}).";
    }

    private static string JsonPosition(JsonException exception) =>
        exception.LineNumber is { } line
            ? $"line {line + 1}, byte {exception.BytePositionInLine + 1}"
            : "position unknown";

    private static string Excerpt(string text)
    {
        var normalized = TextCleaner.Normalize(text.Length > 200 ? text[..200] : text);
        return normalized.Length <= 60 ? normalized : string.Concat(normalized.AsSpan(0, 57), "...");
    }

    private static PageParseException Fail(PageToParse page, string message, Exception? inner = null)
    {
        var full = page.Url is null ? message : $"{page.Url}: {message}";
        return inner is null ? new PageParseException(full) : new PageParseException(full, inner);
    }
}
