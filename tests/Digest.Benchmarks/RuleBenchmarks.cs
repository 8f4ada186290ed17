using BenchmarkDotNet.Attributes;
using Digest.Papers;
using Digest.Rules;

namespace Digest.Benchmarks;

/// <summary>
/// The keyword rule matcher on 1,000 papers built from the corpus pages, against 1,000, 10,000 and 100,000 generated
/// rules (see <see cref="RuleWorkload"/>): index build, index match, and the two baselines it is compared with.
/// </summary>
/// <remarks>
/// <para>Run: <c>dotnet run -c Release --project tests/Digest.Benchmarks -- --filter '*RuleBenchmarks*'</c>.</para>
/// <para>Baselines. <see cref="EveryRuleOnEveryPaper"/> evaluates every rule on every paper with the index's own compiled
/// evaluator (papers tokenized once): the strongest brute force, the same answers without the anchors.
/// <see cref="OneRuleAtATime_First10Papers"/> is what a caller does without the index: <see cref="RuleEvaluator"/>
/// on each (rule, paper) pair, papers tokenized once; it runs on the first 10 of the 1,000 papers, because on all of
/// them it would take minutes per operation at 100,000 rules, so multiply its time by 100 for the full batch.</para>
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class RuleBenchmarks
{
    private IReadOnlyList<Paper> _papers = [];
    private IReadOnlyList<TokenizedPaper> _firstTenPapers = [];
    private IReadOnlyList<string> _ruleTexts = [];
    private IReadOnlyList<IndexedRule> _rules = [];
    private WordFrequencies _frequencies = null!;
    private RuleIndex _index = null!;

    [Params(1_000, 10_000, 100_000)]
    public int RuleCount { get; set; }

    /// <summary>
    /// <c>corpus</c>: rule words drawn from every corpus word but English stop words, in proportion to frequency (so
    /// <c>models</c>, <c>training</c>, <c>language</c> are the commonest rule words, and a rule matches about 1% of papers).
    /// <c>topical</c>: the same without the corpus's own stop words, the words found in more than 10% of its papers.
    /// </summary>
    [Params("corpus", "topical")]
    public string Vocabulary { get; set; } = "corpus";

    [GlobalSetup]
    public void Setup()
    {
        var distinct = RuleWorkload.LoadCorpusPapers(Path.Combine(AppContext.BaseDirectory, "Fixtures"));
        _papers = RuleWorkload.Papers(distinct, 1_000);
        _firstTenPapers = [.. _papers.Take(10).Select(TokenizedPaper.Create)];
        _frequencies = WordFrequencies.FromPapers(distinct);
        _ruleTexts = RuleWorkload.RuleTexts(distinct, RuleCount, Vocabulary == "topical" ? 0.10 : 1.0);
        _rules = RuleWorkload.Parse(_ruleTexts);
        _index = RuleIndex.Build(_rules, _frequencies);

        var matches = _index.Match(_papers);
        var candidates = _index.CountCandidates(_papers);
        Console.WriteLine(
            $"// Workload ({Vocabulary}): {distinct.Count} distinct corpus papers cycled to {_papers.Count}; {RuleCount} rules, " +
            $"{_index.AlwaysCheckedCount} without anchors; {matches.Count} matches " +
            $"({(double)matches.Count / _papers.Count:F1} per paper); {(double)candidates / _papers.Count:F1} rules evaluated per paper " +
            $"({100.0 * candidates / ((double)_papers.Count * RuleCount):F2}% of all).");
        Console.WriteLine($"// Sample rules: {string.Join(" | ", _ruleTexts.Take(8))}");
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

    /// <summary>Compiles the parsed rules into an index.</summary>
    [Benchmark]
    public RuleIndex BuildIndex() => RuleIndex.Build(_rules, _frequencies);

    /// <summary>Matches the 1,000 papers against all rules through the index.</summary>
    [Benchmark(Baseline = true)]
    public int IndexMatch() => _index.Match(_papers).Count;

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
