using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Digest.Sources;

/// <summary>
/// Fetches Daily Papers pages over HTTP, politely: a User-Agent that names the project, conditional requests,
/// and the resilience pipeline of the <see cref="HttpClientName"/> client (timeout, retry with jitter on 429 and
/// 5xx honouring Retry-After). Concurrency is bounded by the caller.
/// </summary>
public sealed partial class HttpPageFetcher(
    IHttpClientFactory httpClientFactory,
    IOptions<SourceOptions> options,
    ILogger<HttpPageFetcher> logger) : IPageFetcher
{
    public const string HttpClientName = "huggingface";

    public IReadOnlyList<PageRequest> Plan(DateTimeOffset now)
    {
        var settings = options.Value;
        var baseUri = new Uri(settings.Source.TrimEnd('/') + "/");
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var dates = settings.Dates.Count > 0
            ? settings.Dates.Distinct().Order().ToList()
            : [.. Enumerable.Range(0, settings.LookBackDays + 1).Select(back => today.AddDays(-back)).Order()];

        var pages = new List<PageRequest>();
        foreach (var date in dates)
        {
            var day = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (settings.DailyPages)
            {
                pages.Add(new PageRequest($"daily-{day}", new Uri(baseUri, $"papers/date/{day}"), date));
            }

            if (settings.Api)
            {
                pages.Add(new PageRequest($"api-{day}", new Uri(baseUri, $"api/daily_papers?date={day}&limit=100"), date));
            }
        }

        if (settings.Trending)
        {
            pages.Add(new PageRequest("trending", new Uri(baseUri, "papers/trending"), null));
        }

        if (settings.Week)
        {
            var week = string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(now.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(now.UtcDateTime):D2}");
            pages.Add(new PageRequest($"week-{week}", new Uri(baseUri, $"papers/week/{week}"), null));
        }

        if (settings.Month)
        {
            var month = today.ToString("yyyy-MM", CultureInfo.InvariantCulture);
            pages.Add(new PageRequest($"month-{month}", new Uri(baseUri, $"papers/month/{month}"), null));
        }

        return pages;
    }

    public async Task<FetchResult> FetchAsync(PageRequest request, string? etag, string? lastModified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Get, request.Url);
        if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var entityTag))
        {
            message.Headers.IfNoneMatch.Add(entityTag);
        }

        if (lastModified is not null && DateTimeOffset.TryParse(lastModified, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since))
        {
            message.Headers.IfModifiedSince = since;
        }

        var client = httpClientFactory.CreateClient(HttpClientName);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotModified)
            {
                return new FetchResult { Status = 304, ETag = etag, LastModified = lastModified };
            }

            if (!response.IsSuccessStatusCode)
            {
                var retryAfter = response.Headers.RetryAfter is { } header ? $" (Retry-After: {header})" : "";
                return new FetchResult { Status = (int)response.StatusCode, Error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{retryAfter} from {request.Url}" };
            }

            var content = await ReadLimitedAsync(response.Content, options.Value.MaxPageBytes, cancellationToken);
            if (content is null)
            {
                return new FetchResult { Status = (int)response.StatusCode, Error = $"The body of {request.Url} is larger than Sources:MaxPageBytes ({options.Value.MaxPageBytes})." };
            }

            return new FetchResult
            {
                Status = (int)response.StatusCode,
                Content = content,
                ContentType = response.Content.Headers.ContentType?.ToString(),
                ETag = response.Headers.ETag?.ToString(),
                LastModified = response.Content.Headers.LastModified?.ToString("R", CultureInfo.InvariantCulture),
            };
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TimeoutRejectedException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogFetchFailed(logger, request.Url, e);
            return new FetchResult { Status = 0, Error = $"Fetching {request.Url} failed: {e.Message}" };
        }
    }

    private static async Task<byte[]?> ReadLimitedAsync(HttpContent content, int maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > maxBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream(content.Headers.ContentLength is { } length ? (int)length : 64 * 1024);
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Fetching {Url} failed")]
    private static partial void LogFetchFailed(ILogger logger, Uri url, Exception exception);
}
