namespace Digest.Sources;

/// <summary>One page to fetch.</summary>
/// <param name="Key">A stable key for the page, usable as a table key (<c>daily-2026-03-13</c>, <c>api-2026-03-13</c>, <c>trending</c>, <c>file-…</c>).</param>
/// <param name="Url">Where to fetch it (an http(s) URL, or a file URL).</param>
/// <param name="RequestedDate">The daily date asked for, for daily pages.</param>
public sealed record PageRequest(string Key, Uri Url, DateOnly? RequestedDate);

/// <summary>What a fetch returned.</summary>
public sealed record FetchResult
{
    /// <summary>The HTTP status (200 for a file).</summary>
    public required int Status { get; init; }

    /// <summary>True for 304 Not Modified: the validators matched, there is no body.</summary>
    public bool NotModified => Status == 304;

    /// <summary>The body, for a 2xx answer.</summary>
    public ReadOnlyMemory<byte> Content { get; init; }

    public string? ContentType { get; init; }

    public string? ETag { get; init; }

    public string? LastModified { get; init; }

    /// <summary>Why the fetch failed, for an answer that is neither 2xx nor 304 or a broken transfer.</summary>
    public string? Error { get; init; }

    public bool Succeeded => Error is null && Status is >= 200 and < 300;
}
