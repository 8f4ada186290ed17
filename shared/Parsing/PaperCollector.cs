using Digest.Papers;

namespace Digest.Parsing;

/// <summary>The papers of one page, one per id, in page order. A repeated id keeps the first and records a warning.</summary>
internal sealed class PaperCollector(List<string> warnings)
{
    private readonly List<Paper> _papers = [];
    private readonly Dictionary<string, string> _firstSeenAt = new(StringComparer.Ordinal);

    public int Count => _papers.Count;

    public IReadOnlyList<Paper> Papers => _papers;

    public void Add(Paper paper, string where)
    {
        if (_firstSeenAt.TryGetValue(paper.Id, out var first))
        {
            warnings.Add($"{where} repeats paper {paper.Id} (first at {first}); kept the first.");
            return;
        }

        _firstSeenAt.Add(paper.Id, where);
        _papers.Add(paper);
    }
}
