using System.Diagnostics;
using System.Globalization;
using Digest.Rules;

namespace Digest.Benchmarks;

/// <summary>
/// A quick look at the index outside BenchmarkDotNet: the processor time and wall time of a match and of a build through
/// the cache plus a match, over many runs. On a machine shared with other work, the processor time shows the work done
/// whatever the load, and wall time against processor time shows how many cores a call kept busy.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project tests/Digest.Benchmarks -- --rule-timing 100000 1000 10</c> (rules,
/// papers, runs).</remarks>
internal static class RuleTiming
{
    public static void Run(string[] args)
    {
        var ruleCount = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var paperCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000;
        var runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        var distinct = RuleWorkload.LoadCorpusPapers(Path.Combine(AppContext.BaseDirectory, "Fixtures"));
        var papers = RuleWorkload.Papers(distinct, paperCount);
        var frequencies = WordFrequencies.FromPapers(distinct);
        var rules = RuleWorkload.Parse(RuleWorkload.RuleTexts(distinct, ruleCount));
        var index = RuleIndex.Build(rules, frequencies);
        var cache = new RuleIndexCache(frequencies);
        var ruleSets = RuleWorkload.TwoVersions(rules);
        cache.Build(ruleSets[0]);
        Console.WriteLine($"{ruleCount} rules, {paperCount} papers: {index.Match(papers).Count} matches; {runs} runs each, after one to warm up.");
        Measure("IndexMatch", runs, _ => index.Match(papers).Count);
        Measure("CachedBuildAndMatch", runs, run => cache.Build(ruleSets[(run + 1) & 1]).Match(papers).Count);
    }

    private static void Measure(string name, int runs, Func<int, int> action)
    {
        action(-1);
        var wall = new double[runs];
        var processor = new double[runs];
        for (var run = 0; run < runs; run++)
        {
            var processorStart = Process.GetCurrentProcess().TotalProcessorTime;
            var wallStart = Stopwatch.GetTimestamp();
            action(run);
            wall[run] = Stopwatch.GetElapsedTime(wallStart).TotalMilliseconds;
            processor[run] = (Process.GetCurrentProcess().TotalProcessorTime - processorStart).TotalMilliseconds;
        }

        Array.Sort(wall);
        Array.Sort(processor);
        Console.WriteLine(
            $"{name}: wall min {wall[0]:F1} ms, median {wall[runs / 2]:F1} ms; processor min {processor[0]:F1} ms, median {processor[runs / 2]:F1} ms");
    }
}
