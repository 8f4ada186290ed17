using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Digest.Papers;
using Digest.Rules;

namespace Digest.Benchmarks;

/// <summary>
/// The keyword rule matcher on papers built from the corpus pages (the 50 papers of a busy day, and a batch of 1,000),
/// against 1,000, 10,000 and 100,000 generated rules (see <see cref="RuleWorkload"/>): index match, index build plus match
/// (compiled from scratch, and through a <see cref="RuleIndexCache"/> that has seen the rules, as in the notifier's later
/// runs), and the two baselines the index is compared with. <see cref="RuleBuildBenchmarks"/> measures parse and build alone.
/// </summary>
/// <remarks>
/// <para>Run: <c>dotnet run -c Release --project tests/Digest.Benchmarks -- --filter '*RuleBenchmarks*' '*RuleBuildBenchmarks*'</c>.
/// The filter also matches the parameters, written as in the results in declaration order, so one case or a few run in
/// minutes: <c>--filter '*RuleBenchmarks.*Match(RuleCount: 100000, Vocabulary: "corpus", PaperCount: *)'</c> runs the four
/// index methods at 100,000 rules on the corpus vocabulary for 50 and 1,000 papers.</para>
/// <para>Baselines. <see cref="EveryRuleOnEveryPaper"/> evaluates every rule on every paper with the index's own compiled
/// evaluator (papers tokenized once): the strongest brute force, the same answers without the anchors.
/// <see cref="OneRuleAtATime_First10Papers"/> is what a caller does without the index: <see cref="RuleEvaluator"/>
/// on each (rule, paper) pair, papers tokenized once; it runs on the first 10 papers, because on all of them it would
/// take minutes per operation at 100,000 rules, so multiply its time by 5 or 100 for the whole batch.</para>
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RuleBenchmarks
{
    private IReadOnlyList<Paper> _papers = [];
    private IReadOnlyList<TokenizedPaper> _firstTenPapers = [];
    private IReadOnlyList<IndexedRule> _rules = [];
    private WordFrequencies _frequencies = null!;
    private RuleIndex _index = null!;
    private RuleIndexCache _cache = null!;
    private IndexedRule[][] _ruleSets = [];
    private int _builds;

    [Params(1_000, 10_000, 100_000)]
    public int RuleCount { get; set; }

    /// <summary>
    /// <c>corpus</c>: rule words drawn from every corpus word but English stop words, in proportion to frequency (so
    /// <c>models</c>, <c>training</c>, <c>language</c> are the commonest rule words, and a rule matches about 1% of papers).
    /// <c>topical</c>: the same without the corpus's own stop words, the words found in more than 10% of its papers.
    /// </summary>
    [Params("corpus", "topical")]
    public string Vocabulary { get; set; } = "corpus";

    /// <summary>How many papers a batch has: 50, a busy day of Daily Papers; 1,000, a backlog.</summary>
    [Params(50, 1_000)]
    public int PaperCount { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var distinct = RuleWorkload.LoadCorpusPapers(Path.Combine(AppContext.BaseDirectory, "Fixtures"));
        _papers = RuleWorkload.Papers(distinct, PaperCount);
        _firstTenPapers = [.. _papers.Take(10).Select(TokenizedPaper.Create)];
        _frequencies = WordFrequencies.FromPapers(distinct);
        var ruleTexts = RuleWorkload.RuleTexts(distinct, RuleCount, Vocabulary == "topical" ? 0.10 : 1.0);
        _rules = RuleWorkload.Parse(ruleTexts);
        _index = RuleIndex.Build(_rules, _frequencies);
        _cache = new RuleIndexCache(_frequencies);
        _ruleSets = RuleWorkload.TwoVersions(_rules);
        _cache.Build(_ruleSets[0]);
        _cache.Build(_ruleSets[1]);

        var matches = _index.Match(_papers);
        var candidates = _index.CountCandidates(_papers);
        Console.WriteLine(
            $"// Workload ({Vocabulary}): {distinct.Count} distinct corpus papers cycled to {_papers.Count}; {RuleCount} rules, " +
            $"{_index.AlwaysCheckedCount} without anchors; {matches.Count} matches " +
            $"({(double)matches.Count / _papers.Count:F1} per paper); {(double)candidates / _papers.Count:F1} rules evaluated per paper " +
            $"({100.0 * candidates / ((double)_papers.Count * RuleCount):F2}% of all).");
        Console.WriteLine($"// Sample rules: {string.Join(" | ", ruleTexts.Take(8))}");

        // Wall time depends on what else the machine runs; the processor time of a match much less so, and the two
        // together show how many cores the match kept busy.
        const int Runs = 5;
        var processorTime = Process.GetCurrentProcess().TotalProcessorTime;
        var wallTime = Stopwatch.StartNew();
        for (var run = 0; run < Runs; run++)
        {
            _index.Match(_papers);
        }

        var processorMilliseconds = (Process.GetCurrentProcess().TotalProcessorTime - processorTime).TotalMilliseconds / Runs;
        var wallMilliseconds = wallTime.Elapsed.TotalMilliseconds / Runs;
        Console.WriteLine(
            $"// IndexMatch outside the harness, mean of {Runs}: {processorMilliseconds:F1} ms of processor time, {wallMilliseconds:F1} ms of wall time " +
            $"({processorMilliseconds / wallMilliseconds:F2} cores busy; {Environment.ProcessorCount} cores).");
    }

    /// <summary>Matches the papers against all rules through a built index.</summary>
    [Benchmark(Baseline = true)]
    public int IndexMatch() => _index.Match(_papers).Count;

    /// <summary>Compiles the rules from scratch, then matches: the first run of a process.</summary>
    [Benchmark]
    public int BuildAndMatch() => RuleIndex.Build(_rules, _frequencies).Match(_papers).Count;

    /// <summary>Builds through a cache that has compiled the rules before, then matches: the notifier's later runs when
    /// a rule changed since the run before (the two versions of the rules alternate, so every build is a new index).</summary>
    [Benchmark]
    public int CachedBuildAndMatch() => _cache.Build(_ruleSets[_builds++ & 1]).Match(_papers).Count;

    /// <summary>Builds through a cache over the rules of the build before, then matches: a run where no rule changed.</summary>
    [Benchmark]
    public int UnchangedRulesBuildAndMatch() => _cache.Build(_rules).Match(_papers).Count;

    /// <summary>Every rule on every paper with the compiled evaluator, no anchors.</summary>
    [Benchmark]
    public int EveryRuleOnEveryPaper() => _index.MatchEveryRule(_papers).Count;

    /// <summary>Every rule on the first 10 papers, one rule at a time with <see cref="RuleEvaluator"/>.</summary>
    [Benchmark]
    public int OneRuleAtATime_First10Papers()
    {
        var matches = 0;
        foreach (var paper in _firstTenPapers)
        {
            foreach (var rule in _rules)
            {
                matches += RuleEvaluator.Evaluate(rule.Rule, paper).IsMatch ? 1 : 0;
            }
        }

        return matches;
    }
}

/// <summary>Parsing and compiling the generated rules of <see cref="RuleBenchmarks"/>, without papers.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RuleBuildBenchmarks
{
    private IReadOnlyList<string> _ruleTexts = [];
    private IReadOnlyList<IndexedRule> _rules = [];
    private WordFrequencies _frequencies = null!;
    private RuleIndexCache _cache = null!;
    private IndexedRule[][] _ruleSets = [];
    private int _builds;

    [Params(1_000, 10_000, 100_000)]
    public int RuleCount { get; set; }

    [Params("corpus", "topical")]
    public string Vocabulary { get; set; } = "corpus";

    [GlobalSetup]
    public void Setup()
    {
        var distinct = RuleWorkload.LoadCorpusPapers(Path.Combine(AppContext.BaseDirectory, "Fixtures"));
        _frequencies = WordFrequencies.FromPapers(distinct);
        _ruleTexts = RuleWorkload.RuleTexts(distinct, RuleCount, Vocabulary == "topical" ? 0.10 : 1.0);
        _rules = RuleWorkload.Parse(_ruleTexts);
        _cache = new RuleIndexCache(_frequencies);
        _ruleSets = RuleWorkload.TwoVersions(_rules);
        _cache.Build(_ruleSets[0]);
        _cache.Build(_ruleSets[1]);
    }

    /// <summary>Parses every rule text.</summary>
    [Benchmark]
    public int ParseRules()
    {
        var terms = 0;
        foreach (var text in _ruleTexts)
        {
            terms += RuleParser.Parse(text).Rule!.TermCount;
        }

        return terms;
    }

    /// <summary>Compiles the parsed rules into an index from scratch.</summary>
    [Benchmark(Baseline = true)]
    public RuleIndex BuildIndex() => RuleIndex.Build(_rules, _frequencies);

    /// <summary>Builds the index through a cache that has compiled every rule before (two versions of the rules that
    /// differ in one rule alternate, so every build makes a new index from the compiled rules).</summary>
    [Benchmark]
    public RuleIndex CachedBuildIndex() => _cache.Build(_ruleSets[_builds++ & 1]);
}
