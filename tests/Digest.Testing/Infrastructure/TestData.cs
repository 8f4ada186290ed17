namespace Digest.Tests.Infrastructure;

/// <summary>Paths of the real pages copied from the team folder into Fixtures/ (tests/Digest.Tests/Fixtures, copied to
/// the output of every project that references Digest.Testing; found in the source tree when a host runs elsewhere).</summary>
public static class TestData
{
    public static string Folder { get; } = Locate();

    public static string HfPapers(string fileName) => Path.Combine(Folder, "hf-papers", fileName);

    public static IReadOnlyList<string> CorpusFiles =>
        [.. Directory.GetFiles(Path.Combine(Folder, "corpus"), "*.txt").Order(StringComparer.Ordinal)];

    private static string Locate()
    {
        var copied = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        if (Directory.Exists(copied))
        {
            return copied;
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var source = Path.Combine(folder.FullName, "tests", "Digest.Tests", "Fixtures");
            if (Directory.Exists(source))
            {
                return source;
            }
        }

        throw new DirectoryNotFoundException($"No Fixtures folder in {AppContext.BaseDirectory} nor in a tests/Digest.Tests above it.");
    }
}
