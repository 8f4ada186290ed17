namespace Digest.Sources;

/// <summary>Fetches pages: from huggingface.co (or a server speaking the same protocol), or from a folder of saved pages.</summary>
public interface IPageFetcher
{
    /// <summary>The pages to fetch in this cycle, at the given time.</summary>
    IReadOnlyList<PageRequest> Plan(DateTimeOffset now);

    /// <summary>Fetches one page; a failure is returned as a result with <see cref="FetchResult.Error"/>, not thrown.</summary>
    /// <param name="request">The page.</param>
    /// <param name="etag">The ETag of the last stored version, for a conditional request.</param>
    /// <param name="lastModified">The Last-Modified of the last stored version, for a conditional request.</param>
    /// <param name="cancellationToken">Cancels the fetch.</param>
    Task<FetchResult> FetchAsync(PageRequest request, string? etag, string? lastModified, CancellationToken cancellationToken);
}
