using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Digest.Parsing;

namespace Digest.Benchmarks;

/// <summary>
/// Parse throughput on the real pages: the 2024 list page HTML, the 2026 API response and the five plain-text seed pages
/// (each, and all five in one operation). The MB/s column is page bytes (10^6) divided by the mean time.
/// </summary>
/// <remarks><c>dotnet run -c Release --project tests/Digest.Benchmarks -- --filter '*ParseBenchmarks*'</c></remarks>
[MemoryDiagnoser]
[ShortRunJob]
[Config(typeof(ThroughputConfig))]
public class ParseBenchmarks
{
    private static readonly DateTimeOffset FetchedAt = new(2026, 6, 13, 8, 0, 0, TimeSpan.Zero);

    private readonly PageParser _parser = new();
    private PageToParse[] _pages = [];

    [ParamsSource(nameof(PageNames))]
    public string Page { get; set; } = string.Empty;

    public static IEnumerable<string> PageNames => BenchmarkPages.Names;

    [GlobalSetup]
    public void Setup() =>
        _pages = [.. BenchmarkPages.Files(Page).Select(path => new PageToParse(File.ReadAllBytes(path), ContentType(path), new Uri(path), FetchedAt, null))];

    [Benchmark]
    public int Parse()
    {
        var papers = 0;
        foreach (var page in _pages)
        {
            papers += _parser.Parse(page).Papers.Count;
        }

        return papers;
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".json" => "application/json; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn());
    }

    /// <summary>Page bytes per second of mean time, in MB/s (10^6 bytes).</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => nameof(ThroughputColumn);

        public string ColumnName => "MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Page bytes (10^6) parsed per second of mean time";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } statistics || benchmarkCase.Parameters["Page"] is not string page)
            {
                return "-";
            }

            var bytes = BenchmarkPages.Files(page).Sum(path => new FileInfo(path).Length);
            var seconds = statistics.Mean / 1e9;
            return (bytes / 1e6 / seconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

/// <summary>The fixture pages the benchmarks read, found from wherever BenchmarkDotNet runs its generated process.</summary>
public static class BenchmarkPages
{
    private const string Html2024 = "html 2024-08-01";
    private const string Api2026 = "api 2026-06-12";
    private const string CorpusPrefix = "corpus ";
    private const string AllCorpusPages = "corpus all 5";

    /// <summary>Short labels (BenchmarkDotNet cuts parameter values past 20 characters).</summary>
    public static IReadOnlyList<string> Names =>
    [
        Html2024,
        Api2026,
        .. CorpusFiles().Select(path => CorpusPrefix + Path.GetFileName(path)[..3]),
        AllCorpusPages,
    ];

    public static IReadOnlyList<string> Files(string name) => name switch
    {
        Html2024 => [Path.Combine(FixturesFolder(), "hf-papers", "list_2024-08-01_slbqc.html")],
        Api2026 => [Path.Combine(FixturesFolder(), "hf-papers", "api_daily_papers_2026-06-12_sotawhat.json")],
        AllCorpusPages => CorpusFiles(),
        _ when name.StartsWith(CorpusPrefix, StringComparison.Ordinal) =>
            [CorpusFiles().Single(path => Path.GetFileName(path).StartsWith(name[CorpusPrefix.Length..], StringComparison.Ordinal))],
        _ => throw new ArgumentException($"Unknown benchmark page '{name}'.", nameof(name)),
    };

    private static string[] CorpusFiles() =>
        [.. Directory.GetFiles(Path.Combine(FixturesFolder(), "corpus"), "*.txt").Order(StringComparer.Ordinal)];

    private static string FixturesFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "Fixtures");
            if (Directory.Exists(Path.Combine(candidate, "hf-papers")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No Fixtures/hf-papers folder above {AppContext.BaseDirectory}.");
    }
}
