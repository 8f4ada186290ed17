using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Digest.Rules;

/// <summary>
/// Parses keyword alert rules.
/// </summary>
/// <remarks>
/// <para>The language, loosest binding first:</para>
/// <list type="bullet">
/// <item><description><c>a OR b</c>: either holds.</description></item>
/// <item><description><c>a AND b</c>, or just <c>a b</c>: both hold (AND is the default between terms).</description></item>
/// <item><description><c>NOT a</c>, or <c>-a</c> (no space after the minus): <c>a</c> does not hold. Precedence is NOT, then AND, then OR:
/// <c>a OR b c</c> is <c>a OR (b AND c)</c>; <c>NOT a b</c> is <c>(NOT a) AND b</c>.</description></item>
/// <item><description><c>( … )</c>: grouping, at most <see cref="MaxDepth"/> levels deep.</description></item>
/// <item><description><c>title:</c>, <c>abstract:</c>, <c>author:</c> (any letter case) before a term, phrase, group or negation:
/// search only that field. Without a scope a term searches title, abstract and authors. Scopes do not nest.</description></item>
/// <item><description><c>word</c>: a whole word. <c>"exact phrase"</c>: consecutive words in one field (one author's name for authors).
/// A term with punctuation inside, such as <c>low-rank</c>, is the phrase <c>"low rank"</c>.</description></item>
/// <item><description><c>quantiz*</c>: a word that starts with <c>quantiz</c>; the <c>*</c> goes only at the end of an unquoted term.</description></item>
/// <item><description><c>upvotes&gt;=20</c> (also <c>&gt;</c>, <c>&lt;=</c>, <c>&lt;</c>, <c>=</c>), written without spaces: a threshold on upvotes.</description></item>
/// <item><description><c>like:2403.12345</c>, <c>like:2403.12345~0.25</c>: papers similar to a stored paper (a <see cref="LikeNode"/>), at the
/// similarity given after <c>~</c> (default <see cref="LikeNode.DefaultThreshold"/>); needs the stored papers' <see cref="CorpusStatistics"/>.
/// Not inside a field scope.</description></item>
/// </list>
/// <para>The keywords <c>AND</c>, <c>OR</c> and <c>NOT</c> are recognized in upper case only: a lower-case <c>and</c>, <c>or</c>,
/// <c>not</c> is an ordinary word to search for. Words are matched after <see cref="TextNormalizer"/>, so letter case and accents never matter.</para>
/// <para>Limits: at most <see cref="MaxLength"/> characters, <see cref="MaxTerms"/> terms (terms, phrases and thresholds) and
/// <see cref="MaxDepth"/> levels of parentheses. A rule that would match (almost) every paper is refused: <c>*</c>, <c>NOT x</c>,
/// a rule made only of negations, an empty rule, <c>upvotes&gt;=0</c>. Every refusal is a <see cref="RuleError"/>; parsing never throws.</para>
/// </remarks>
public static class RuleParser
{
    /// <summary>The longest rule text accepted, in characters.</summary>
    public const int MaxLength = 500;

    /// <summary>The most terms, phrases and thresholds in one rule.</summary>
    public const int MaxTerms = 32;

    /// <summary>The deepest nesting of parentheses.</summary>
    public const int MaxDepth = 8;

    private static readonly System.Buffers.SearchValues<char> PaperIdChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_");

    private static readonly string[] TextFieldNames = ["title", "abstract", "author"];
    private static readonly string[] AllFieldNames = ["title", "abstract", "author", "upvotes", "like"];

    /// <summary>Parses <paramref name="text"/> into a rule, or says where and why it cannot.</summary>
    /// <param name="text">The rule text.</param>
    /// <param name="corpus">The stored papers, for <c>like:</c>; without them a <c>like:</c> rule is refused.</param>
    public static RuleParseResult Parse(string text, CorpusStatistics? corpus = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return RuleParseResult.Success(new Parser(text, corpus).ParseRule());
        }
        catch (RuleSyntaxException exception)
        {
            return RuleParseResult.Failure(exception.Error);
        }
    }

    /// <summary>Parses <paramref name="text"/>; returns false with the error when it cannot.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out Rule? rule, [NotNullWhen(false)] out RuleError? error) =>
        TryParse(text, null, out rule, out error);

    /// <summary>Parses <paramref name="text"/>, with the stored papers for <c>like:</c>; returns false with the error when it cannot.</summary>
    public static bool TryParse(string text, CorpusStatistics? corpus, [NotNullWhen(true)] out Rule? rule, [NotNullWhen(false)] out RuleError? error)
    {
        var result = Parse(text, corpus);
        rule = result.Rule;
        error = result.Error;
        return result.IsSuccess;
    }

    /// <summary>The closest known name within edit distance 2, for "did you mean".</summary>
    internal static string? Suggest(string name, IReadOnlyList<string> candidates)
    {
        var lower = name.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(lower, candidate);
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= Math.Min(2, Math.Max(1, lower.Length / 2)) ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions cost 1.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private enum TokenKind
    {
        Word,
        Phrase,
        LeftParen,
        RightParen,
        And,
        Or,
        Not,
        Minus,
        Scope,
        Threshold,
        End,
    }

    private readonly record struct Token(TokenKind Kind, int Position, int Length)
    {
        public bool StartsOperand => Kind is TokenKind.Word or TokenKind.Phrase or TokenKind.LeftParen or TokenKind.Not
            or TokenKind.Minus or TokenKind.Scope or TokenKind.Threshold;
    }

    /// <summary>Unwinds the recursive descent to <see cref="Parse"/>; never escapes this class.</summary>
    private sealed class RuleSyntaxException : Exception
    {
        public RuleSyntaxException()
        {
            Error = new RuleError(0, "invalid rule");
        }

        public RuleSyntaxException(string message)
            : base(message)
        {
            Error = new RuleError(0, message);
        }

        public RuleSyntaxException(string message, Exception innerException)
            : base(message, innerException)
        {
            Error = new RuleError(0, message);
        }

        public RuleSyntaxException(RuleError error)
            : base(error.Text)
        {
            Error = error;
        }

        public RuleError Error { get; }
    }

    private sealed class Parser(string text, CorpusStatistics? corpus)
    {
        private bool _hasSimilarity;
        private readonly List<Token> _tokens = [];
        private int _next;
        private int _depth;
        private int _terms;
        private bool _inScope;

        private Token Peek => _tokens[_next];

        public Rule ParseRule()
        {
            if (text.Length > MaxLength)
            {
                throw Error(MaxLength, $"the rule is too long: {text.Length} characters, at most {MaxLength}");
            }

            Lex();
            if (Peek.Kind == TokenKind.End)
            {
                throw Error(0, "the rule is empty");
            }

            var root = ParseOr();
            if (Peek.Kind == TokenKind.RightParen)
            {
                throw Error(Peek.Position, "unmatched )");
            }

            if (MatchesAlmostEverything(root))
            {
                throw Error(0, "the rule would match almost every paper: it needs a word or phrase that must be present");
            }

            return new Rule(text, root, _terms, _hasSimilarity);
        }

        private RuleNode ParseOr()
        {
            var operands = new List<RuleNode> { ParseAnd() };
            while (Peek.Kind == TokenKind.Or)
            {
                var or = Take();
                if (!Peek.StartsOperand)
                {
                    throw Error(or.Position, "OR needs something on both sides");
                }

                operands.Add(ParseAnd());
            }

            return Combine(operands, isAnd: false);
        }

        private RuleNode ParseAnd()
        {
            var operands = new List<RuleNode> { ParseUnary() };
            while (true)
            {
                if (Peek.Kind == TokenKind.And)
                {
                    var and = Take();
                    if (!Peek.StartsOperand)
                    {
                        throw Error(and.Position, "AND needs something on both sides");
                    }
                }
                else if (!Peek.StartsOperand)
                {
                    break;
                }

                operands.Add(ParseUnary());
            }

            return Combine(operands, isAnd: true);
        }

        private RuleNode ParseUnary()
        {
            var token = Peek;
            if (token.Kind is TokenKind.Not or TokenKind.Minus)
            {
                Take();
                if (!Peek.StartsOperand)
                {
                    throw Error(token.Position, token.Kind == TokenKind.Not ? "NOT needs something to negate" : "- needs something to negate");
                }

                return new NotNode(ParseUnary());
            }

            return ParsePrimary();
        }

        private RuleNode ParsePrimary()
        {
            var token = Take();
            switch (token.Kind)
            {
                case TokenKind.LeftParen:
                    {
                        if (_depth == MaxDepth)
                        {
                            throw Error(token.Position, $"too deeply nested: at most {MaxDepth} levels of parentheses");
                        }

                        if (Peek.Kind == TokenKind.RightParen)
                        {
                            throw Error(token.Position, "empty parentheses");
                        }

                        if (Peek.Kind == TokenKind.End)
                        {
                            throw Error(token.Position, "unclosed parenthesis");
                        }

                        _depth++;
                        var inner = ParseOr();
                        _depth--;
                        if (Peek.Kind != TokenKind.RightParen)
                        {
                            throw Error(token.Position, "unclosed parenthesis");
                        }

                        Take();
                        return inner;
                    }

                case TokenKind.Word:
                    CountTerm(token);
                    return ParseWord(token);

                case TokenKind.Phrase:
                    {
                        CountTerm(token);
                        var words = TextNormalizer.Words(text.Substring(token.Position + 1, token.Length - 2));
                        if (words.Count == 0)
                        {
                            throw Error(token.Position, "the phrase has no letters or digits");
                        }

                        return new TermNode([.. words], isPrefix: false);
                    }

                case TokenKind.Threshold:
                    CountTerm(token);
                    return ParseThreshold(token);

                case TokenKind.Scope:
                    return ParseScope(token);

                case TokenKind.RightParen:
                    throw Error(token.Position, "unmatched )");

                case TokenKind.And:
                    throw Error(token.Position, "AND needs something on both sides");

                case TokenKind.Or:
                    throw Error(token.Position, "OR needs something on both sides");

                default:
                    throw Error(token.Position, "unexpected end of the rule");
            }
        }

        private TermNode ParseWord(Token token)
        {
            var raw = text.AsSpan(token.Position, token.Length);
            var star = raw.IndexOf('*');
            var isPrefix = false;
            if (star >= 0)
            {
                if (raw.Length == 1)
                {
                    throw Error(token.Position, "* alone would match every paper");
                }

                if (star != raw.Length - 1)
                {
                    throw Error(token.Position + star, "* is only allowed at the end of a word");
                }

                if (!TextNormalizer.IsRunChar(raw[star - 1]))
                {
                    throw Error(token.Position + star, "* must follow a letter or digit");
                }

                raw = raw[..star];
                isPrefix = true;
            }

            var words = TextNormalizer.Words(raw.ToString());
            if (words.Count == 0)
            {
                throw Error(token.Position, $"\"{Shorten(text.Substring(token.Position, token.Length))}\" has no letters or digits");
            }

            return new TermNode([.. words], isPrefix);
        }

        private ThresholdNode ParseThreshold(Token token)
        {
            var raw = text.AsSpan(token.Position, token.Length);
            var nameLength = raw.IndexOfAny('<', '>', '=');
            var name = raw[..nameLength].ToString();
            if (!name.Equals("upvotes", StringComparison.OrdinalIgnoreCase))
            {
                if (Array.Exists(TextFieldNames, field => field.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Error(token.Position, $"\"{name}\" cannot be compared with a number", "only upvotes can");
                }

                throw UnknownField(token.Position, name, ["upvotes"]);
            }

            if (_inScope)
            {
                throw Error(token.Position, "a threshold cannot be inside a field scope");
            }

            var rest = raw[nameLength..];
            var (comparison, symbolLength) = rest switch
            {
                _ when rest.StartsWith(">=") => (ComparisonOperator.GreaterThanOrEqual, 2),
                _ when rest.StartsWith("<=") => (ComparisonOperator.LessThanOrEqual, 2),
                _ when rest.StartsWith(">") => (ComparisonOperator.GreaterThan, 1),
                _ when rest.StartsWith("<") => (ComparisonOperator.LessThan, 1),
                _ => (ComparisonOperator.Equal, 1),
            };

            var number = rest[symbolLength..];
            var numberPosition = token.Position + nameLength + symbolLength;
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                throw Error(numberPosition, $"upvotes{ThresholdNode.Symbol(comparison)} needs a whole number");
            }

            return new ThresholdNode(comparison, value);
        }

        private RuleNode ParseScope(Token token)
        {
            var name = text.Substring(token.Position, token.Length - 1);
            if (name.Equals("like", StringComparison.OrdinalIgnoreCase))
            {
                return ParseLike(token);
            }

            var index = Array.FindIndex(TextFieldNames, field => field.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                if (name.Equals("upvotes", StringComparison.OrdinalIgnoreCase))
                {
                    throw Error(token.Position, "upvotes needs a comparison", "like upvotes>=20");
                }

                throw UnknownField(token.Position, name, AllFieldNames);
            }

            if (_inScope)
            {
                throw Error(token.Position, "a field scope cannot contain another field scope");
            }

            if (!Peek.StartsOperand)
            {
                throw Error(token.Position, $"{TextFieldNames[index]}: needs a term, phrase or group after it");
            }

            _inScope = true;
            var operand = ParseUnary();
            _inScope = false;
            return new FieldScopeNode((PaperField)index, operand);
        }

        private LikeNode ParseLike(Token token)
        {
            if (_inScope)
            {
                throw Error(token.Position, "like: cannot be inside a field scope");
            }

            if (Peek.Kind != TokenKind.Word)
            {
                throw Error(token.Position, "like: needs a paper id", "like like:2403.12345");
            }

            var idToken = Take();
            CountTerm(idToken);
            var raw = text.Substring(idToken.Position, idToken.Length);
            var tilde = raw.IndexOf('~', StringComparison.Ordinal);
            var id = tilde < 0 ? raw : raw[..tilde];
            if (!IsPaperId(id))
            {
                throw Error(idToken.Position, $"\"{Shorten(id)}\" is not a paper id", "like like:2403.12345");
            }

            var threshold = LikeNode.DefaultThreshold;
            if (tilde >= 0 && (!double.TryParse(raw.AsSpan(tilde + 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out threshold)
                || threshold is <= 0 or > 1))
            {
                throw Error(idToken.Position + tilde + 1, "the similarity after ~ must be a number above 0 and at most 1", "like like:2403.12345~0.25");
            }

            if (corpus is null)
            {
                throw Error(token.Position, "like: needs the stored papers, which are not available here");
            }

            if (!corpus.TryGetPaper(id, out var paper))
            {
                throw Error(idToken.Position, $"unknown paper {id}", "like: takes the id of a stored paper");
            }

            var query = SimilarityQuery.Create(paper, corpus) ?? throw Error(idToken.Position, $"paper {id} has no words to compare with");
            _hasSimilarity = true;
            return new LikeNode(query, threshold);
        }

        /// <summary>A paper id as the store keeps them: an arXiv id such as <c>2403.12345</c>, or the id the parser gave a
        /// paper without one; letters, digits, dots, hyphens and underscores.</summary>
        private static bool IsPaperId(string id) =>
            id.Length is > 0 and <= 64 && !id.AsSpan().ContainsAnyExcept(PaperIdChars);

        private void CountTerm(Token token)
        {
            if (++_terms > MaxTerms)
            {
                throw Error(token.Position, $"too many terms: at most {MaxTerms}");
            }
        }

        private Token Take() => _tokens[_next++];

        private static RuleNode Combine(List<RuleNode> operands, bool isAnd)
        {
            if (operands.Count == 1)
            {
                return operands[0];
            }

            // Flatten (a b) c into a b c: same meaning, one canonical shape.
            var flat = ImmutableArray.CreateBuilder<RuleNode>(operands.Count);
            foreach (var operand in operands)
            {
                switch (operand)
                {
                    case AndNode andNode when isAnd:
                        flat.AddRange(andNode.Operands);
                        break;
                    case OrNode orNode when !isAnd:
                        flat.AddRange(orNode.Operands);
                        break;
                    default:
                        flat.Add(operand);
                        break;
                }
            }

            return isAnd ? new AndNode(flat.ToImmutable()) : new OrNode(flat.ToImmutable());
        }

        /// <summary>
        /// Whether the rule matches a paper that has no words at all, whatever its upvotes: then it can only be
        /// made of negations (and thresholds that let everything through), and would flood its subscriber.
        /// </summary>
        private static bool MatchesAlmostEverything(RuleNode root)
        {
            var upvotes = new SortedSet<int> { 0 };
            CollectThresholds(root, upvotes);
            var empty = TokenizedPaper.Empty;
            foreach (var value in upvotes)
            {
                if (!RuleEvaluator.Holds(root, empty, value))
                {
                    return false;
                }
            }

            return true;
        }

        private static void CollectThresholds(RuleNode node, SortedSet<int> upvotes)
        {
            switch (node)
            {
                case ThresholdNode threshold:
                    foreach (var delta in (ReadOnlySpan<long>)[-1, 0, 1])
                    {
                        var value = threshold.Value + delta;
                        if (value is >= 0 and <= int.MaxValue)
                        {
                            upvotes.Add((int)value);
                        }
                    }

                    break;
                case NotNode not:
                    CollectThresholds(not.Operand, upvotes);
                    break;
                case FieldScopeNode scope:
                    CollectThresholds(scope.Operand, upvotes);
                    break;
                case AndNode andNode:
                    foreach (var operand in andNode.Operands)
                    {
                        CollectThresholds(operand, upvotes);
                    }

                    break;
                case OrNode orNode:
                    foreach (var operand in orNode.Operands)
                    {
                        CollectThresholds(operand, upvotes);
                    }

                    break;
            }
        }

        private void Lex()
        {
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                    continue;
                }

                switch (c)
                {
                    case '(':
                        _tokens.Add(new Token(TokenKind.LeftParen, i, 1));
                        i++;
                        continue;
                    case ')':
                        _tokens.Add(new Token(TokenKind.RightParen, i, 1));
                        i++;
                        continue;
                    case '"':
                        {
                            var close = text.IndexOf('"', i + 1);
                            if (close < 0)
                            {
                                throw Error(i, "unclosed quote");
                            }

                            _tokens.Add(new Token(TokenKind.Phrase, i, close - i + 1));
                            i = close + 1;
                            continue;
                        }

                    case '-':
                        if (i + 1 >= text.Length || char.IsWhiteSpace(text[i + 1]) || text[i + 1] == ')')
                        {
                            throw Error(i, "- needs something to negate");
                        }

                        _tokens.Add(new Token(TokenKind.Minus, i, 1));
                        i++;
                        continue;
                    case '<' or '>' or '=':
                        throw Error(i, "a comparison needs a field before it", "like upvotes>=20");
                }

                var end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('(' or ')' or '"'))
                {
                    end++;
                }

                var run = text.AsSpan(i, end - i);
                var keyword = run switch
                {
                    "AND" => TokenKind.And,
                    "OR" => TokenKind.Or,
                    "NOT" => TokenKind.Not,
                    _ => TokenKind.End,
                };
                if (keyword != TokenKind.End)
                {
                    _tokens.Add(new Token(keyword, i, run.Length));
                    i = end;
                    continue;
                }

                var letters = 0;
                while (letters < run.Length && char.IsAsciiLetter(run[letters]))
                {
                    letters++;
                }

                if (letters > 0 && letters < run.Length && run[letters] == ':')
                {
                    _tokens.Add(new Token(TokenKind.Scope, i, letters + 1));
                    i += letters + 1;
                    continue;
                }

                if (letters > 0 && letters < run.Length && run[letters] is '<' or '>' or '=')
                {
                    _tokens.Add(new Token(TokenKind.Threshold, i, run.Length));
                    i = end;
                    continue;
                }

                _tokens.Add(new Token(TokenKind.Word, i, run.Length));
                i = end;
            }

            _tokens.Add(new Token(TokenKind.End, text.Length, 0));
        }

        private static RuleSyntaxException UnknownField(int position, string name, IReadOnlyList<string> candidates)
        {
            var suggestion = Suggest(name, candidates);
            return Error(
                position,
                $"unknown field \"{Shorten(name)}\"",
                suggestion is null ? $"the fields are {string.Join(", ", AllFieldNames)}" : $"did you mean \"{suggestion}\"?");
        }

        private static string Shorten(string value) => value.Length <= 30 ? value : string.Concat(value.AsSpan(0, 29), "…");

        private static RuleSyntaxException Error(int position, string message, string? hint = null) =>
            new(new RuleError(position, message, hint));
    }
}
