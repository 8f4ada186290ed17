using CsCheck;
using Digest.Papers;
using Digest.Rules;
using Shouldly;

namespace Digest.Tests.Rules;

/// <summary>
/// Generated rules and papers over a small vocabulary (so that matches happen): the index must always return exactly what
/// evaluating each rule on its own returns, and parsing must never throw and must round-trip through the canonical form.
/// </summary>
public sealed class RulePropertyTests
{
    private static readonly string[] Vocabulary =
        ["diffusion", "Diffusion", "model", "models", "low", "rank", "LoRA", "quantization", "quantized", "vision",
         "language", "Schrödinger", "schrodinger", "graph", "agent", "3D", "gpt4", "and", "of"];

    private static readonly string[] AuthorNames = ["Li Wei", "Wei Li", "Zoë Müller", "Ann Lee", "Rank Low"];

    private static readonly Gen<string> Word = Gen.OneOf(Vocabulary);

    private static readonly Gen<string> Prefix =
        Word.SelectMany(word => Gen.Int[1, Math.Max(1, word.Length)].Select(length => word[..length] + "*"));

    private static readonly Gen<string> Phrase =
        Gen.Select(Word, Word, Gen.OneOf(" ", "-"), Gen.Bool, (first, second, joiner, quoted) =>
            quoted ? $"\"{first}{joiner}{second}\"" : $"{first}-{second}");

    private static readonly Gen<string> Threshold =
        Gen.Select(Gen.OneOf(">=", ">", "<=", "<", "="), Gen.Int[0, 40], (op, value) => $"upvotes{op}{value}");

    private static readonly Gen<string> TextTerm = Pick((6, Word), (2, Phrase), (2, Prefix));

    private static readonly Gen<string> RuleText = Gen.Recursive<string>((depth, rule) =>
    {
        var term = depth > 3 ? TextTerm : Pick((8, TextTerm), (1, Threshold));
        var scoped = Gen.Select(Gen.OneOf("title:", "abstract:", "author:"), TextTerm, (scope, text) => scope + text);
        if (depth > 3)
        {
            return Pick((4, term), (1, scoped));
        }

        var scopedGroup = Gen.Select(Gen.OneOf("title:", "abstract:", "author:"), TextTerm, TextTerm, Gen.Bool,
            (scope, left, right, or) => $"{scope}({left}{(or ? " OR " : " ")}{right})");
        return Pick(
            (6, term),
            (2, scoped),
            (1, scopedGroup),
            (2, Gen.Select(rule, rule, (left, right) => $"{left} {right}")),
            (1, Gen.Select(rule, rule, (left, right) => $"{left} AND {right}")),
            (2, Gen.Select(rule, rule, (left, right) => $"({left} OR {right})")),
            (1, Gen.Select(rule, rule, (left, right) => $"{left} OR {right}")),
            (1, rule.Select(inner => $"NOT {inner}")),
            (1, rule.Select(inner => $"-({inner})")),
            (1, term.Select(inner => $"-{inner}")));
    });

    /// <summary>Rule texts that parse: most generated ones do; a few match everything or break a limit.</summary>
    private static readonly Gen<Rule> ValidRule =
        RuleText.Select(text => RuleParser.Parse(text)).Where(result => result.IsSuccess).Select(result => result.Rule!);

    /// <summary>One cache for every sample, so its builds reuse rules compiled for earlier samples, as the notifier's runs do.</summary>
    private static readonly RuleIndexCache SharedCache = new();

    private static readonly Gen<string> Separator = Gen.OneOf(" ", " ", " ", "-", ", ", ". ", " (", ") ", "'");

    private static readonly Gen<string> Text =
        Gen.Select(Word, Separator).Array[0, 14].Select(parts => string.Concat(parts.Select(part => part.Item1 + part.Item2)));

    private static readonly Gen<Paper> PaperGen =
        Gen.Select(Text, Text, Gen.OneOf(AuthorNames).Array[0, 3], Gen.Int[0, 40], (title, @abstract, authors, upvotes) =>
            Papers.Make(title, @abstract, authors, upvotes));

    [Fact(Timeout = 180_000)]
    [Trait("Category", "Slow")]
    public async Task Index_GeneratedRulesAndPapers_AgreesWithEvaluatingEachRuleAlone() => await Task.Run(() =>
        Gen.Select(ValidRule.Array[1, 40], PaperGen.Array[1, 8], Gen.Bool).Sample((rules, papers, withFrequencies) =>
        {
            var batch = papers.Select((paper, i) => paper with { Id = $"p{i}" }).ToArray();
            var indexed = rules.Select((rule, i) => new IndexedRule($"r{i}", $"o{i % 3}", rule)).ToArray();
            var index = RuleIndex.Build(indexed, withFrequencies ? WordFrequencies.FromPapers(batch) : null);

            var expected = new List<string>();
            foreach (var paper in batch)
            {
                var tokenized = TokenizedPaper.Create(paper);
                foreach (var entry in indexed)
                {
                    var evaluation = RuleEvaluator.Evaluate(entry.Rule, tokenized);
                    if (evaluation.IsMatch)
                    {
                        expected.Add($"{entry.RuleId}|{entry.OwnerId}|{paper.Id}|{string.Join(", ", evaluation.MatchedWords)}");
                    }
                }
            }

            RuleIndexTests.Flatten(index.Match(batch)).ShouldBe(expected);
            RuleIndexTests.Flatten(index.MatchEveryRule(batch)).ShouldBe(expected);
            RuleIndexTests.Flatten(SharedCache.Build(indexed).Match(batch)).ShouldBe(expected);

            // A paper per run: the parallel path, whose parts (some of them empty) must read back in order either way.
            var inRuns = index.Match(batch, minPapersPerChunk: 1);
            RuleIndexTests.Flatten(inRuns).ShouldBe(expected);
            RuleIndexTests.Flatten(Enumerable.Range(0, inRuns.Count).Select(i => inRuns[i])).ShouldBe(expected);
        }, iter: 2000), TestContext.Current.CancellationToken);

    [Fact(Timeout = 180_000)]
    [Trait("Category", "Slow")]
    public async Task Index_GeneratedRulesWithLike_AgreesWithEvaluatingEachRuleAlone() => await Task.Run(() =>
        Gen.Select(Gen.Select(RuleText, Gen.Int[0, 7], Gen.Double[0.01, 0.9], Gen.Int[0, 4]).Array[1, 12], PaperGen.Array[2, 8], Gen.Bool).Sample((shapes, papers, withFrequencies) =>
        {
            var batch = papers.Select((paper, i) => paper with { Id = $"p{i}" }).ToArray();
            var statistics = CorpusStatistics.FromPapers(batch);
            var rules = new List<IndexedRule>();
            foreach (var (text, reference, threshold, shape) in shapes)
            {
                // like: alone and inside the language: with AND, under OR, negated.
                var like = FormattableString.Invariant($"like:p{reference % batch.Length}~{threshold:0.###}");
                var combined = shape switch
                {
                    0 => like,
                    1 => $"{like} {text}",
                    2 => $"({text}) OR {like}",
                    3 => $"{text} -{like}",
                    _ => $"NOT {like} ({text}) OR {like} upvotes>=10",
                };
                if (RuleParser.Parse(combined, statistics) is { IsSuccess: true } parsed)
                {
                    rules.Add(new IndexedRule($"r{rules.Count}", $"o{rules.Count % 3}", parsed.Rule));
                }
            }

            var expected = new List<string>();
            foreach (var paper in batch)
            {
                var tokenized = TokenizedPaper.Create(paper);
                foreach (var entry in rules)
                {
                    var evaluation = RuleEvaluator.Evaluate(entry.Rule, tokenized);
                    if (evaluation.IsMatch)
                    {
                        expected.Add($"{entry.RuleId}|{entry.OwnerId}|{paper.Id}|{string.Join(", ", evaluation.MatchedWords)}");
                    }
                }
            }

            var index = RuleIndex.Build(rules, withFrequencies ? WordFrequencies.FromPapers(batch) : null);
            RuleIndexTests.Flatten(index.Match(batch)).ShouldBe(expected);
            RuleIndexTests.Flatten(index.Match(batch, minPapersPerChunk: 1)).ShouldBe(expected);
            RuleIndexTests.Flatten(index.MatchEveryRule(batch)).ShouldBe(expected);
            RuleIndexTests.Flatten(SharedCache.Build(rules).Match(batch)).ShouldBe(expected);
        }, iter: 1000), TestContext.Current.CancellationToken);

    [Fact]
    public void Index_GeneratedRulesWithLike_SomeMatchAndSomeDoNot()
    {
        // Guards the generator above: a like: term must match some papers and not others.
        var matched = 0;
        var total = 0;
        Gen.Select(PaperGen.Array[2, 8], Gen.Int[0, 7], Gen.Double[0.01, 0.9]).Sample((papers, reference, threshold) =>
        {
            var batch = papers.Select((paper, i) => paper with { Id = $"p{i}" }).ToArray();
            var statistics = CorpusStatistics.FromPapers(batch);
            if (RuleParser.Parse(FormattableString.Invariant($"like:p{reference % batch.Length}~{threshold:0.###}"), statistics) is { IsSuccess: true } parsed)
            {
                total += batch.Length;
                matched += batch.Count(parsed.Rule.IsMatch);
            }
        }, iter: 500, threads: 1);

        ((double)matched / total).ShouldBeInRange(0.1, 0.9);
    }

    [Fact]
    public void Index_GeneratedRules_SomeMatchAndSomeDoNot()
    {
        // Guards the generator: the agreement test above is only worth something if matches are common but not universal.
        var matched = 0;
        var total = 0;
        Gen.Select(ValidRule, PaperGen).Sample((rule, paper) =>
        {
            total++;
            matched += rule.IsMatch(paper) ? 1 : 0;
        }, iter: 2000);

        ((double)matched / total).ShouldBeInRange(0.05, 0.8);
    }

    [Fact]
    public void Rule_ToString_ReparsesToAnEqualRule()
    {
        ValidRule.Sample(rule =>
        {
            var canonical = rule.ToString();
            var reparsed = RuleParser.Parse(canonical);
            reparsed.IsSuccess.ShouldBeTrue($"{rule.Text} printed as {canonical}: {reparsed}");
            reparsed.Rule.ShouldBe(rule);
            reparsed.Rule.ToString().ShouldBe(canonical);
        }, iter: 5000);
    }

    [Fact]
    public void Rule_ToString_EvaluatesLikeTheOriginal()
    {
        Gen.Select(ValidRule, PaperGen.Array[1, 5]).Sample((rule, papers) =>
        {
            var reparsed = RuleParser.Parse(rule.ToString()).Rule!;
            foreach (var paper in papers)
            {
                Describe(reparsed.Evaluate(paper)).ShouldBe(Describe(rule.Evaluate(paper)), $"{rule.Text} vs {reparsed}");
            }
        }, iter: 1000);
    }

    [Fact]
    public void Parse_AnyString_NeverThrows()
    {
        Gen.String.Sample(text => Parses(text), iter: 20000);
    }

    [Fact]
    public void Parse_StringsOfSyntaxPieces_NeverThrowsAndRoundTrips()
    {
        var piece = Gen.OneOf(
            "(", ")", "\"", "-", "*", ":", " ", "  ", "AND", "OR", "NOT", "and", "title:", "abstract:", "author:", "upvotes",
            ">=", "<", "=", "20", "upvotes>=", "titel:", "diffusion", "low-rank", "quantiz", "Schrödinger", "é", "\u0301", "ﬁ",
            "\uD83D\uDE00", "\uD800", "½", "_", "'", ".", "\t", "\n");
        piece.Array[0, 40].Select(string.Concat).Sample(text =>
        {
            Parses(text);
            var result = RuleParser.Parse(text);
            if (result.IsSuccess && result.Rule.ToString().Length <= RuleParser.MaxLength)
            {
                RuleParser.Parse(result.Rule.ToString()).Rule.ShouldBe(result.Rule, text);
            }
        }, iter: 20000);
    }

    private static string Describe(RuleEvaluation evaluation) =>
        $"{evaluation.IsMatch}: {string.Join(", ", evaluation.MatchedWords)}; {string.Join(", ", evaluation.Highlights)}";

    private static Gen<string> Pick(params (int Weight, Gen<string> Gen)[] options) =>
        Gen.Frequency(options.Select(option => (option.Weight, (IGen<string>)option.Gen)).ToArray());

    private static void Parses(string text)
    {
        var result = RuleParser.Parse(text);
        if (result.IsSuccess)
        {
            result.Error.ShouldBeNull();
            result.Rule.TermCount.ShouldBeInRange(1, RuleParser.MaxTerms);
        }
        else
        {
            result.Error.Position.ShouldBeInRange(0, Math.Max(text.Length, RuleParser.MaxLength));
            result.Error.Message.ShouldNotBeNullOrWhiteSpace();
        }
    }
}
