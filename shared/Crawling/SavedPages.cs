using Digest.Papers;
using Digest.Parsing;
using Digest.Sources;
using Microsoft.Extensions.Options;

namespace Digest.Crawling;

/// <summary>Reads the papers of a folder of saved pages without storage (for <c>digest rules test --source</c>).</summary>
public sealed class SavedPages(PageParser parser, TimeProvider timeProvider)
{
    /// <summary>
    /// The papers of every page in the folder, one per id (a later page's version wins), with the pages that could
    /// not be parsed and why.
    /// </summary>
    public async Task<(IReadOnlyList<Paper> Papers, IReadOnlyList<string> Problems)> ReadAsync(string folder, CancellationToken cancellationToken)
    {
        var fetcher = new FolderPageFetcher(Options.Create(new SourceOptions { Source = folder }));
        var now = timeProvider.GetUtcNow();
        var papers = new Dictionary<string, Paper>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var page in fetcher.Plan(now))
        {
            var fetched = await fetcher.FetchAsync(page, null, null, cancellationToken);
            if (!fetched.Succeeded)
            {
                problems.Add(fetched.Error ?? page.Url.LocalPath);
                continue;
            }

            try
            {
                foreach (var paper in parser.Parse(new PageToParse(fetched.Content, fetched.ContentType, page.Url, now, page.RequestedDate)).Papers)
                {
                    papers[paper.Id] = paper;
                }
            }
            catch (PageParseException e)
            {
                problems.Add(e.Message);
            }
        }

        return ([.. papers.Values], problems);
    }
}
