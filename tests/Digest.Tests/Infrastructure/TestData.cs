namespace Digest.Tests.Infrastructure;

/// <summary>Paths of the real pages copied from the team folder into Fixtures/.</summary>
public static class TestData
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string HfPapers(string fileName) => Path.Combine(Folder, "hf-papers", fileName);

    public static IReadOnlyList<string> CorpusFiles =>
        [.. Directory.GetFiles(Path.Combine(Folder, "corpus"), "*.txt").Order(StringComparer.Ordinal)];
}
