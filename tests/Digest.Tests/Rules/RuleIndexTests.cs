using Digest.Papers;
using Digest.Rules;
using Shouldly;

namespace Digest.Tests.Rules;

public sealed class RuleIndexTests
{
    private static readonly IReadOnlyList<Paper> Batch =
    [
        Papers.Make("Low-Rank Adaptation of Diffusion Models", "We study LoRA and quantization for diffusion.", ["Zoë Müller", "Li Wei"], 12, "p1"),
        Papers.Make("A Survey of Vision Transformers", "Transformers for vision, quantized.", ["Ann Lee"], 40, "p2"),
        Papers.Make("Schrödinger Bridges", "Diffusion bridges without low rank.", ["Wei Li"], 25, "p3"),
    ];

    [Fact]
    public void Match_ManyRules_ReturnsEveryMatchWithOwnerAndWords()
    {
        var index = RuleIndex.Build(
        [
            Indexed("r1", "alice", "diffusion \"low rank\""),
            Indexed("r2", "bob", "quantiz*"),
            Indexed("r3", "bob", "title:survey OR schrodinger"),
            Indexed("r4", "carol", "author:\"li wei\""),
            Indexed("r5", "carol", "upvotes>=25 -survey"),
            Indexed("r6", "dave", "video"),
        ]);

        var matches = index.Match(Batch);

        matches.Select(match => (match.RuleId, match.OwnerId, match.PaperId)).ShouldBe(
        [
            ("r1", "alice", "p1"),
            ("r2", "bob", "p1"),
            ("r4", "carol", "p1"),
            ("r2", "bob", "p2"),
            ("r3", "bob", "p2"),
            ("r1", "alice", "p3"),
            ("r3", "bob", "p3"),
            ("r5", "carol", "p3"),
        ]);
        matches[0].Words.ToArray().ShouldBe(
        [
            new MatchedWord(PaperField.Title, "diffusion"),
            new MatchedWord(PaperField.Title, "low rank"),
            new MatchedWord(PaperField.Abstract, "diffusion"),
        ]);
        matches[1].Words.ToArray().ShouldBe([new MatchedWord(PaperField.Abstract, "quantization")]);
        matches[3].Words.ToArray().ShouldBe([new MatchedWord(PaperField.Abstract, "quantized")]);
        matches[7].Words.Count.ShouldBe(0);
        index.Count.ShouldBe(6);
        index.AlwaysCheckedCount.ShouldBe(1);
    }

    [Fact]
    public void Match_UpvotesCrossTheThreshold_MatchesInTheLaterBatch()
    {
        var index = RuleIndex.Build([Indexed("r", "o", "diffusion upvotes>=20")]);
        var paper = Papers.Make("Diffusion", upvotes: 19);

        index.Match([paper]).ShouldBeEmpty();
        index.Match([paper with { Upvotes = 20 }]).ShouldHaveSingleItem().RuleId.ShouldBe("r");
    }

    [Fact]
    public void Match_PhraseAcrossTwoAuthors_DoesNotMatch()
    {
        var index = RuleIndex.Build([Indexed("r", "o", "author:\"wei ann\""), Indexed("s", "o", "\"wei ann\"")]);

        index.Match([Papers.Make("x", authors: ["Li Wei", "Ann Lee"])]).ShouldBeEmpty();
    }

    [Fact]
    public void Match_OrNamingTheSameWordTwice_MatchesOnce()
    {
        var index = RuleIndex.Build([Indexed("r", "o", "diffusion OR title:diffusion OR diffus*")]);

        index.Match(Batch).Select(match => match.PaperId).ShouldBe(["p1", "p3"]);
    }

    [Fact]
    public void Match_SameRuleForTwoOwners_MatchesForBoth()
    {
        var index = RuleIndex.Build([Indexed("r", "alice", "vision"), Indexed("r", "bob", "vision")]);

        index.Match(Batch).Select(match => match.OwnerId).ShouldBe(["alice", "bob"]);
    }

    [Fact]
    public void Match_NoRulesOrNoPapers_ReturnsNothing()
    {
        RuleIndex.Build([]).Match(Batch).ShouldBeEmpty();
        RuleIndex.Build([Indexed("r", "o", "diffusion")]).Match([]).ShouldBeEmpty();
    }

    [Fact]
    public void Match_WithWordFrequencies_GivesTheSameAnswers()
    {
        IndexedRule[] rules =
        [
            Indexed("r1", "o", "diffusion bridges"),
            Indexed("r2", "o", "(vision OR lora) -survey"),
            Indexed("r3", "o", "low-ra* diffusion"),
            Indexed("r4", "o", "wei"),
        ];

        var plain = RuleIndex.Build(rules).Match(Batch);
        var tuned = RuleIndex.Build(rules, WordFrequencies.FromPapers(Batch)).Match(Batch);

        Flatten(tuned).ShouldBe(Flatten(plain));
        plain.Select(match => (match.RuleId, match.PaperId)).ShouldBe([("r2", "p1"), ("r3", "p1"), ("r4", "p1"), ("r1", "p3"), ("r3", "p3"), ("r4", "p3")]);
    }

    [Fact]
    public void MatchEveryRule_GivesTheSameAnswersAsTheIndex()
    {
        var index = RuleIndex.Build([Indexed("r1", "o", "diffusion"), Indexed("r2", "o", "upvotes<20 NOT survey"), Indexed("r3", "o", "schrodinger")]);

        Flatten(index.MatchEveryRule(Batch)).ShouldBe(Flatten(index.Match(Batch)));
    }

    [Fact]
    public void Match_CallerChangesItsListAfterwards_AnswersStay()
    {
        var index = RuleIndex.Build([Indexed("r", "o", "diffusion")]);
        var papers = new List<Paper>(Batch);

        var matches = index.Match(papers);
        papers.Clear();

        matches.Select(match => match.PaperId).ShouldBe(["p1", "p3"]);
    }

    [Fact]
    public void Words_ListView_ReadsLikeAnArray()
    {
        var match = RuleIndex.Build([Indexed("r", "o", "diffusion \"low rank\"")]).Match(Batch)[0];

        match.Words.Count.ShouldBe(3);
        match.Words[1].ShouldBe(new MatchedWord(PaperField.Title, "low rank"));
        Should.Throw<ArgumentOutOfRangeException>(() => match.Words[3]);
        match.Words.ToString().ShouldBe(string.Join(", ", match.Words.ToArray()));
        match.ShouldBe(RuleIndex.Build([Indexed("r", "o", "\"low rank\" diffusion")]).Match(Batch)[0]);
    }

    [Fact]
    public void WordFrequencies_FromPapers_CountsPapersNotOccurrences()
    {
        var frequencies = WordFrequencies.FromPapers(Batch);

        frequencies.PaperCount.ShouldBe(3);
        frequencies.DocumentFrequency("diffusion").ShouldBe(2.0 / 3);
        frequencies.DocumentFrequency("wei").ShouldBe(2.0 / 3);
        frequencies.DocumentFrequency("absent").ShouldBe(0);
        frequencies.PrefixFrequency("quantiz").ShouldBe(2.0 / 3);
    }

    [Fact]
    public void CacheBuild_RulesComeAndGo_AnswersAsAFreshBuildAndCompilesEachTextOnce()
    {
        var cache = new RuleIndexCache();
        IndexedRule[] monday = [Indexed("r1", "alice", "diffusion \"low rank\""), Indexed("r2", "bob", "quantiz* -survey"), Indexed("r3", "carol", "upvotes>=25 -survey")];
        IndexedRule[] tuesday = [Indexed("r3", "carol", "upvotes>=25 -survey"), Indexed("r4", "dave", "author:wei OR title:schrodinger"), Indexed("r1", "erin", "diffusion \"low rank\"")];

        var first = cache.Build(monday).Match(Batch);
        var second = cache.Build(tuesday).Match(Batch);

        Flatten(first).ShouldBe(Flatten(RuleIndex.Build(monday).Match(Batch)));
        Flatten(second).ShouldBe(Flatten(RuleIndex.Build(tuesday).Match(Batch)));
        second.Select(match => (match.RuleId, match.OwnerId, match.PaperId)).ShouldBe(
            [("r4", "dave", "p1"), ("r1", "erin", "p1"), ("r3", "carol", "p3"), ("r4", "dave", "p3"), ("r1", "erin", "p3")]);
        cache.Count.ShouldBe(4);
    }

    [Fact]
    public void CacheBuild_SameRulesAgain_ReusesTheIndexUntilARuleChanges()
    {
        var cache = new RuleIndexCache();
        IndexedRule[] rules = [Indexed("r1", "alice", "diffusion"), Indexed("r2", "bob", "quantiz*")];

        var first = cache.Build(rules);
        var again = cache.Build([Indexed("r1", "alice", "diffusion"), Indexed("r2", "bob", "quantiz*")]);
        var changed = cache.Build([Indexed("r1", "alice", "diffusion"), Indexed("r2", "bob", "quantized")]);

        again.ShouldBeSameAs(first);
        changed.ShouldNotBeSameAs(first);
        changed.Match(Batch).Select(match => (match.RuleId, match.PaperId)).ShouldBe([("r1", "p1"), ("r2", "p2"), ("r1", "p3")]);
    }

    [Fact]
    public void Match_BatchLargeEnoughToSpreadOverTheCores_AgreesWithEvaluatingEachRuleAlone()
    {
        // 400 papers from a small vocabulary, so many rules match many papers, and prefix words and phrases outside the
        // index's vocabulary are added to the texts of every worker.
        string[] words = ["diffusion", "models", "quantization", "quantized", "low", "rank", "vision", "survey", "schrödinger", "graph"];
        var papers = Enumerable.Range(0, 400).Select(i => Papers.Make(
            $"{words[i % 10]} {words[(i / 10) % 10]}",
            $"{words[(i * 7) % 10]}-{words[(i * 3) % 10]} {words[(i / 3) % 10]}",
            [i % 2 == 0 ? "Li Wei" : "Ann Lee"],
            i % 50,
            $"p{i}")).ToArray();
        IndexedRule[] rules =
        [
            Indexed("r1", "alice", "diffusion \"low rank\""),
            Indexed("r2", "bob", "quantiz*"),
            Indexed("r3", "bob", "title:survey OR schrodinger"),
            Indexed("r4", "carol", "author:\"li wei\" vision"),
            Indexed("r5", "carol", "upvotes>=25 -survey"),
            Indexed("r6", "dave", "low-ra* (graph OR models)"),
            Indexed("r7", "dave", "abstract:(diffusion OR quantized) NOT title:rank"),
        ];
        var index = RuleIndex.Build(rules);
        var expected = new List<string>();
        foreach (var paper in papers)
        {
            foreach (var rule in rules)
            {
                var evaluation = RuleEvaluator.Evaluate(rule.Rule, paper);
                if (evaluation.IsMatch)
                {
                    expected.Add($"{rule.RuleId}|{rule.OwnerId}|{paper.Id}|{string.Join(", ", evaluation.MatchedWords)}");
                }
            }
        }

        var matches = index.Match(papers);

        Flatten(matches).ShouldBe(expected);
        Flatten(Enumerable.Range(0, matches.Count).Select(i => matches[i])).ShouldBe(expected);
        Flatten(index.Match(papers, minPapersPerChunk: int.MaxValue)).ShouldBe(expected);
        expected.Count.ShouldBeGreaterThan(400);
    }

    [Fact]
    public void Match_PaperIsACandidateForThousandsOfRules_EvaluatesEveryOne()
    {
        // More candidates for one paper than a worker has room for at first.
        var rules = Enumerable.Range(0, 6000)
            .Select(i => Indexed($"r{i}", "o", i % 2 == 0 ? $"diffusion OR w{i}" : $"diffusion -w{i}"))
            .ToArray();
        var index = RuleIndex.Build(rules);

        var matches = index.Match(Batch);

        matches.Where(match => match.PaperId == "p1").Select(match => match.RuleId).ShouldBe(rules.Select(rule => rule.RuleId));
        matches.Where(match => match.PaperId == "p3").Select(match => match.RuleId).ShouldBe(rules.Select(rule => rule.RuleId));
        matches.Count.ShouldBe(12000);
        matches[5999].Words.ToArray().ShouldBe([new MatchedWord(PaperField.Title, "diffusion"), new MatchedWord(PaperField.Abstract, "diffusion")]);
    }

    internal static IEnumerable<string> Flatten(IEnumerable<RuleMatch> matches) =>
        matches.Select(match => $"{match.RuleId}|{match.OwnerId}|{match.PaperId}|{string.Join(", ", match.Words.ToArray())}");

    private static IndexedRule Indexed(string id, string owner, string text) => new(id, owner, RuleParser.Parse(text).Rule!);
}
