using System.Text;
using Microsoft.Extensions.Options;

namespace Digest.Sources;

/// <summary>Reads saved pages from a folder: each file is one page, read in name order. Works offline.</summary>
public sealed class FolderPageFetcher(IOptions<SourceOptions> options) : IPageFetcher
{
    public IReadOnlyList<PageRequest> Plan(DateTimeOffset now)
    {
        var folder = Path.GetFullPath(options.Value.Source);
        return [.. Directory.EnumerateFiles(folder)
            .Where(path => !Path.GetFileName(path).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(path => new PageRequest(KeyFor(path), new Uri(path), RequestedDateIn(Path.GetFileName(path))))];
    }

    public async Task<FetchResult> FetchAsync(PageRequest request, string? etag, string? lastModified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var content = await File.ReadAllBytesAsync(request.Url.LocalPath, cancellationToken);
            if (content.Length > options.Value.MaxPageBytes)
            {
                return new FetchResult { Status = 413, Error = $"{content.Length} bytes is more than Sources:MaxPageBytes ({options.Value.MaxPageBytes})." };
            }

            return new FetchResult { Status = 200, Content = content, ContentType = ContentTypeOf(request.Url.LocalPath) };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new FetchResult { Status = 0, Error = $"Cannot read {request.Url.LocalPath}: {e.Message}" };
        }
    }

    /// <summary>A table-safe key from a file name: letters, digits, '-', '_' and '.', prefixed with <c>file-</c>.</summary>
    internal static string KeyFor(string path)
    {
        var name = Path.GetFileName(path);
        var key = new StringBuilder("file-", name.Length + 5);
        foreach (var c in name)
        {
            key.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        return key.ToString();
    }

    private static DateOnly? RequestedDateIn(string fileName)
    {
        for (var i = 0; i + 10 <= fileName.Length; i++)
        {
            if (DateOnly.TryParseExact(fileName.AsSpan(i, 10), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
            {
                return date;
            }
        }

        return null;
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" or ".htm" => "text/html; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
}
