namespace Digest.Parsing;

/// <summary>A stored page, as the parser gets it.</summary>
/// <param name="Content">The raw bytes exactly as fetched (UTF-8 unless the content type says otherwise).</param>
/// <param name="ContentType">The HTTP content type, when known (<c>text/html</c>, <c>application/json</c>, <c>text/plain</c>).</param>
/// <param name="Url">Where the page came from (an https URL, or a file URL for saved pages).</param>
/// <param name="FetchedAt">When it was fetched; dates without a year are resolved against it.</param>
/// <param name="RequestedDate">The daily date that was asked for, when the page is a daily page.</param>
public sealed record PageToParse(
    ReadOnlyMemory<byte> Content,
    string? ContentType,
    Uri? Url,
    DateTimeOffset FetchedAt,
    DateOnly? RequestedDate);
