using Digest.Rules;
using Shouldly;

namespace Digest.Tests.Rules;

public sealed class RuleParserTests
{
    [Theory]
    [InlineData("diffusion", "diffusion")]
    [InlineData("Diffusion Models", "diffusion models")]
    [InlineData("diffusion AND models", "diffusion models")]
    [InlineData("diffusion OR flow", "diffusion OR flow")]
    [InlineData("NOT survey diffusion", "NOT survey diffusion")]
    [InlineData("diffusion -survey", "diffusion NOT survey")]
    [InlineData("\"Low Rank\" adaptation", "\"low rank\" adaptation")]
    [InlineData("low-rank", "\"low rank\"")]
    [InlineData("\"lora\"", "lora")]
    [InlineData("quantiz*", "quantiz*")]
    [InlineData("low-ra*", "low-ra*")]
    [InlineData("Schrödinger*", "schrodinger*")]
    [InlineData("title:diffusion", "title:diffusion")]
    [InlineData("TITLE:diffusion", "title:diffusion")]
    [InlineData("abstract:\"low rank\"", "abstract:\"low rank\"")]
    [InlineData("author:(hinton OR lecun)", "author:(hinton OR lecun)")]
    [InlineData("title: diffusion", "title:diffusion")]
    [InlineData("title:-survey diffusion", "title:NOT survey diffusion")]
    [InlineData("-title:survey diffusion", "NOT title:survey diffusion")]
    [InlineData("diffusion upvotes>=20", "diffusion upvotes>=20")]
    [InlineData("diffusion upvotes>20", "diffusion upvotes>20")]
    [InlineData("diffusion upvotes<=20", "diffusion upvotes<=20")]
    [InlineData("diffusion upvotes<20", "diffusion upvotes<20")]
    [InlineData("diffusion Upvotes=20", "diffusion upvotes=20")]
    [InlineData("upvotes>=20", "upvotes>=20")]
    [InlineData("upvotes>=50 -survey", "upvotes>=50 NOT survey")]
    [InlineData("and or not", "and or not")]
    [InlineData("a OR b c", "a OR b c")]
    [InlineData("(a OR b) c", "(a OR b) c")]
    [InlineData("((a b)) (c)", "a b c")]
    [InlineData("a OR (b OR c)", "a OR b OR c")]
    [InlineData("NOT (a OR b) c", "NOT (a OR b) c")]
    [InlineData("NOT NOT a", "NOT NOT a")]
    [InlineData("--a b", "NOT NOT a b")]
    [InlineData("-\"low rank\" diffusion", "NOT \"low rank\" diffusion")]
    [InlineData("-(a b) c", "NOT (a b) c")]
    [InlineData("gpt-4o", "\"gpt 4o\"")]
    [InlineData("a\"b c\"d", "a \"b c\" d")]
    public void Parse_ValidRule_PrintsCanonicalForm(string text, string canonical)
    {
        var result = RuleParser.Parse(text);

        result.IsSuccess.ShouldBeTrue(result.ToString());
        result.Rule.ToString().ShouldBe(canonical);
        result.Rule.Text.ShouldBe(text);
        RuleParser.Parse(canonical).Rule.ShouldBe(result.Rule);
    }

    [Fact]
    public void Parse_Precedence_NotBindsTighterThanAndTighterThanOr()
    {
        var root = RuleParser.Parse("NOT a b OR c").Rule!.Root;

        var or = root.ShouldBeOfType<OrNode>();
        or.Operands.Length.ShouldBe(2);
        var and = or.Operands[0].ShouldBeOfType<AndNode>();
        and.Operands[0].ShouldBeOfType<NotNode>().Operand.ShouldBe(Term("a"));
        and.Operands[1].ShouldBe(Term("b"));
        or.Operands[1].ShouldBe(Term("c"));
    }

    [Fact]
    public void Parse_Constructs_BuildExpectedNodes()
    {
        var rule = RuleParser.Parse("title:\"low rank\" quantiz* -survey author:(müller OR li) upvotes>=20").Rule!;

        var and = rule.Root.ShouldBeOfType<AndNode>();
        var title = and.Operands[0].ShouldBeOfType<FieldScopeNode>();
        title.Field.ShouldBe(PaperField.Title);
        var phrase = title.Operand.ShouldBeOfType<TermNode>();
        phrase.Words.ShouldBe(["low", "rank"]);
        phrase.IsPhrase.ShouldBeTrue();
        var prefix = and.Operands[1].ShouldBeOfType<TermNode>();
        prefix.IsPrefix.ShouldBeTrue();
        prefix.Words.ShouldBe(["quantiz"]);
        and.Operands[2].ShouldBeOfType<NotNode>().Operand.ShouldBe(Term("survey"));
        var author = and.Operands[3].ShouldBeOfType<FieldScopeNode>();
        author.Field.ShouldBe(PaperField.Authors);
        author.Operand.ShouldBeOfType<OrNode>().Operands.ShouldBe([Term("muller"), Term("li")]);
        var threshold = and.Operands[4].ShouldBeOfType<ThresholdNode>();
        threshold.Comparison.ShouldBe(ComparisonOperator.GreaterThanOrEqual);
        threshold.Value.ShouldBe(20);
        rule.TermCount.ShouldBe(6);
    }

    [Theory]
    [InlineData("diffusion AND \"low rank", 14, "unclosed quote", null)]
    [InlineData("diffusion OR quantiz* NOT", 22, "NOT needs something to negate", null)]
    [InlineData("titel:diffusion", 0, "unknown field \"titel\"", "did you mean \"title\"?")]
    [InlineData("diffusion abstrct:x", 10, "unknown field \"abstrct\"", "did you mean \"abstract\"?")]
    [InlineData("authors:hinton", 0, "unknown field \"authors\"", "did you mean \"author\"?")]
    [InlineData("upvote>=5 x", 0, "unknown field \"upvote\"", "did you mean \"upvotes\"?")]
    [InlineData("color:red", 0, "unknown field \"color\"", "the fields are title, abstract, author, upvotes, like")]
    [InlineData("x NOT", 2, "NOT needs something to negate", null)]
    [InlineData("x NOT )", 2, "NOT needs something to negate", null)]
    [InlineData("x - y", 2, "- needs something to negate", null)]
    [InlineData("x -", 2, "- needs something to negate", null)]
    [InlineData("x -AND y", 2, "- needs something to negate", null)]
    [InlineData("a OR", 2, "OR needs something on both sides", null)]
    [InlineData("OR a", 0, "OR needs something on both sides", null)]
    [InlineData("a AND", 2, "AND needs something on both sides", null)]
    [InlineData("a AND OR b", 2, "AND needs something on both sides", null)]
    [InlineData("a (b", 2, "unclosed parenthesis", null)]
    [InlineData("a (", 2, "unclosed parenthesis", null)]
    [InlineData("a ( )", 2, "empty parentheses", null)]
    [InlineData("a b)", 3, "unmatched )", null)]
    [InlineData(") a", 0, "unmatched )", null)]
    [InlineData("a \"--\"", 2, "the phrase has no letters or digits", null)]
    [InlineData("a &&", 2, "\"&&\" has no letters or digits", null)]
    [InlineData("a qu*ant", 4, "* is only allowed at the end of a word", null)]
    [InlineData("a quant**", 7, "* is only allowed at the end of a word", null)]
    [InlineData("a low-*", 6, "* must follow a letter or digit", null)]
    [InlineData("title:", 0, "title: needs a term, phrase or group after it", null)]
    [InlineData("a title:)", 2, "title: needs a term, phrase or group after it", null)]
    [InlineData("title:(a author:b)", 9, "a field scope cannot contain another field scope", null)]
    [InlineData("title:upvotes>=3 a", 6, "a threshold cannot be inside a field scope", null)]
    [InlineData("upvotes:20 a", 0, "upvotes needs a comparison", "like upvotes>=20")]
    [InlineData("a title>=3", 2, "\"title\" cannot be compared with a number", "only upvotes can")]
    [InlineData("a upvotes>=", 11, "upvotes>= needs a whole number", null)]
    [InlineData("a upvotes>=x", 11, "upvotes>= needs a whole number", null)]
    [InlineData("a upvotes<-3", 10, "upvotes< needs a whole number", null)]
    [InlineData("a upvotes=99999999999", 10, "upvotes= needs a whole number", null)]
    [InlineData("a >=20", 2, "a comparison needs a field before it", "like upvotes>=20")]
    public void Parse_InvalidRule_ReportsPositionAndMessage(string text, int position, string message, string? hint)
    {
        var result = RuleParser.Parse(text);

        result.IsSuccess.ShouldBeFalse();
        result.Error.ShouldBe(new RuleError(position, message, hint));
    }

    [Fact]
    public void Error_Text_ReadsLikeTheIssueExamples()
    {
        RuleParser.Parse("diffusion AND \"low rank").Error!.Text.ShouldBe("unclosed quote at 14");
        RuleParser.Parse("diffusion OR quantiz* NOT").Error!.Text.ShouldBe("NOT needs something to negate at 22");
        RuleParser.Parse("titel:diffusion").Error!.Text.ShouldBe("unknown field \"titel\" at 0, did you mean \"title\"?");
        RuleParser.Parse("titel:diffusion").Error!.ToString().ShouldBe("unknown field \"titel\" at 0, did you mean \"title\"?");
    }

    [Theory]
    [InlineData("", 0, "the rule is empty")]
    [InlineData("  \t ", 0, "the rule is empty")]
    [InlineData("*", 0, "* alone would match every paper")]
    [InlineData("title:*", 6, "* alone would match every paper")]
    [InlineData("NOT x", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    [InlineData("-x", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    [InlineData("-x -y NOT \"a b\"", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    [InlineData("NOT (a b)", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    [InlineData("a OR NOT b", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    [InlineData("upvotes>=0", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    [InlineData("upvotes>=20 OR NOT b", 0, "the rule would match almost every paper: it needs a word or phrase that must be present")]
    public void Parse_RuleThatMatchesEverything_IsRefused(string text, int position, string message)
    {
        var result = RuleParser.Parse(text);

        result.Error.ShouldBe(new RuleError(position, message));
    }

    [Theory]
    [InlineData("upvotes>=20")]
    [InlineData("upvotes>=20 -survey")]
    [InlineData("NOT NOT x")]
    [InlineData("x NOT x")]
    public void Parse_RuleThatDoesNotMatchEverything_IsAccepted(string text) =>
        RuleParser.Parse(text).IsSuccess.ShouldBeTrue();

    [Fact]
    public void Parse_LongestAllowedRule_IsAccepted()
    {
        var text = "a" + new string(' ', RuleParser.MaxLength - 2) + "b";

        RuleParser.Parse(text).IsSuccess.ShouldBeTrue();
    }

    [Fact]
    public void Parse_RuleOverTheLengthLimit_IsRefusedAtTheLimit()
    {
        var text = "a" + new string(' ', RuleParser.MaxLength - 1) + "b";

        RuleParser.Parse(text).Error.ShouldBe(new RuleError(500, "the rule is too long: 501 characters, at most 500"));
    }

    [Fact]
    public void Parse_ThirtyTwoTerms_IsAccepted()
    {
        var text = string.Join(' ', Enumerable.Range(0, RuleParser.MaxTerms).Select(i => $"w{i}"));

        RuleParser.Parse(text).Rule!.TermCount.ShouldBe(32);
    }

    [Fact]
    public void Parse_ThirtyThreeTerms_IsRefusedAtTheThirtyThird()
    {
        var words = Enumerable.Range(0, RuleParser.MaxTerms + 1).Select(i => $"w{i}").ToArray();
        var text = string.Join(' ', words);
        var position = text.LastIndexOf("w32", StringComparison.Ordinal);

        RuleParser.Parse(text).Error.ShouldBe(new RuleError(position, "too many terms: at most 32"));
    }

    [Fact]
    public void Parse_EightLevelsOfParentheses_IsAccepted() =>
        RuleParser.Parse(new string('(', 8) + "a" + new string(')', 8)).Rule!.ToString().ShouldBe("a");

    [Fact]
    public void Parse_NineLevelsOfParentheses_IsRefusedAtTheNinth() =>
        RuleParser.Parse(new string('(', 9) + "a" + new string(')', 9)).Error
            .ShouldBe(new RuleError(8, "too deeply nested: at most 8 levels of parentheses"));

    [Fact]
    public void TryParse_ValidAndInvalid_ReportsBoth()
    {
        RuleParser.TryParse("diffusion", out var rule, out var error).ShouldBeTrue();
        rule.ShouldNotBeNull();
        error.ShouldBeNull();

        RuleParser.TryParse("(", out rule, out error).ShouldBeFalse();
        rule.ShouldBeNull();
        error.ShouldBe(new RuleError(0, "unclosed parenthesis"));
    }

    [Fact]
    public void Parse_LowerCaseKeywords_AreWords()
    {
        var root = RuleParser.Parse("rock and roll").Rule!.Root.ShouldBeOfType<AndNode>();

        root.Operands.ShouldBe([Term("rock"), Term("and"), Term("roll")]);
    }

    private static TermNode Term(string word) => (TermNode)RuleParser.Parse(word).Rule!.Root;
}
