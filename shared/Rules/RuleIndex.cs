using System.Runtime.CompilerServices;
using Digest.Papers;

namespace Digest.Rules;

/// <summary>A rule to put in a <see cref="RuleIndex"/>, with who owns it.</summary>
/// <param name="RuleId">The rule's id.</param>
/// <param name="OwnerId">The subscriber the rule belongs to.</param>
/// <param name="Rule">The parsed rule.</param>
public sealed record IndexedRule(string RuleId, string OwnerId, Rule Rule);

/// <summary>One rule matching one paper.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="OwnerId">The rule's subscriber.</param>
/// <param name="PaperId">The paper (<see cref="Paper.Id"/>).</param>
/// <param name="Words">What matched where, exactly as <see cref="RuleEvaluator.Evaluate(Rule, Paper)"/> reports it.</param>
public sealed record RuleMatch(string RuleId, string OwnerId, string PaperId, IReadOnlyList<MatchedWord> Words);

/// <summary>
/// Many rules compiled for matching batches of papers at once. Immutable once built and safe to share between threads.
/// </summary>
/// <remarks>
/// <para>Each rule is filed under <em>anchors</em>: words (or wildcard prefixes) of which a paper must contain at least one
/// for the rule to have any chance to match. A term's anchor is its word (for a phrase, its rarest exact word); an AND
/// takes the anchors of its rarest operand that has any; an OR needs anchors from every operand and takes them all;
/// NOT and thresholds give none. A rule without anchors (<c>upvotes&gt;=50 -survey</c>) is checked on every paper.
/// For each paper, the index cuts the text into words once, gathers the rules filed under those words and under the
/// prefixes of those words, and evaluates only them. So the work grows with the rules a paper can match, not with all rules.</para>
/// <para>Which operand is "rarest" comes from <see cref="WordFrequencies"/> when given; otherwise longer words count as rarer.
/// The choice changes only the speed: the answers are always those of <see cref="RuleEvaluator"/> on each rule alone.</para>
/// </remarks>
public sealed class RuleIndex
{
    private const int AllFields = 0b111;

    private readonly Op[] _ops;
    private readonly int[] _children;
    private readonly int[][] _phraseWords;
    private readonly int[] _phrasePrefix;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly string[] _words;
    private readonly Dictionary<string, int> _prefixIds;
    private readonly string[] _prefixes;
    private readonly int[] _prefixLengths;
    private readonly int[] _wordPostingStart;
    private readonly int[] _wordPostings;
    private readonly int[] _prefixPostingStart;
    private readonly int[] _prefixPostings;
    private readonly int[] _alwaysChecked;
    private readonly int[] _roots;
    private readonly IndexedRule[] _rules;

    private RuleIndex(Compiler compiler, IndexedRule[] rules)
    {
        _rules = rules;
        _ops = [.. compiler.Ops];
        _children = [.. compiler.Children];
        _phraseWords = [.. compiler.PhraseWords];
        _phrasePrefix = [.. compiler.PhrasePrefix];
        _vocabulary = compiler.Vocabulary;
        _words = [.. compiler.Words];
        _prefixIds = compiler.PrefixIds;
        _prefixes = [.. compiler.Prefixes];
        _prefixLengths = [.. compiler.Prefixes.Select(prefix => prefix.Length).Distinct().Order()];
        _roots = [.. compiler.Roots];
        (_wordPostingStart, _wordPostings) = ToPostings(compiler.WordAnchors, _words.Length);
        (_prefixPostingStart, _prefixPostings) = ToPostings(compiler.PrefixAnchors, _prefixes.Length);
        _alwaysChecked = [.. compiler.AlwaysChecked];
    }

    /// <summary>How many rules the index holds.</summary>
    public int Count => _rules.Length;

    /// <summary>How many rules have no anchor and are evaluated on every paper.</summary>
    public int AlwaysCheckedCount => _alwaysChecked.Length;

    /// <summary>Compiles <paramref name="rules"/> into an index.</summary>
    /// <param name="rules">The rules; ids need not be unique, each entry is matched on its own.</param>
    /// <param name="frequencies">Word frequencies of recent papers, to file rules under their rarest words; optional.</param>
    public static RuleIndex Build(IEnumerable<IndexedRule> rules, WordFrequencies? frequencies = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        IndexedRule[] all = [.. rules];
        var compiler = new Compiler(frequencies);
        for (var i = 0; i < all.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(all[i]);
            compiler.Add(i, all[i].Rule);
        }

        return new RuleIndex(compiler, all);
    }

    /// <summary>Every (rule, paper) pair that matches, ordered by paper then by the order the rules were given.</summary>
    public IReadOnlyList<RuleMatch> Match(IReadOnlyList<Paper> papers) => Match(papers, useAnchors: true);

    /// <summary>The same answers as <see cref="Match(IReadOnlyList{Paper})"/>, evaluating every rule on every paper: the baseline the index is measured against.</summary>
    internal IReadOnlyList<RuleMatch> MatchEveryRule(IReadOnlyList<Paper> papers) => Match(papers, useAnchors: false);

    private List<RuleMatch> Match(IReadOnlyList<Paper> papers, bool useAnchors)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var matches = new List<RuleMatch>();
        var scratch = new Scratch(this);
        for (var p = 0; p < papers.Count; p++)
        {
            var paper = papers[p];
            scratch.Load(paper);
            if (useAnchors)
            {
                GatherCandidates(scratch);
            }
            else
            {
                scratch.CandidateCount = 0;
                for (var r = 0; r < _rules.Length; r++)
                {
                    scratch.AddCandidate(r);
                }
            }

            var matched = scratch.Matched;
            matched.Clear();
            var candidates = scratch.Candidates;
            for (var c = 0; c < scratch.CandidateCount; c++)
            {
                var rule = candidates[c];
                if (Holds(_roots[rule], scratch))
                {
                    matched.Add(rule);
                }
            }

            matched.Sort();
            foreach (var rule in matched)
            {
                var collected = scratch.Collected;
                collected.Clear();
                Collect(_roots[rule], scratch);
                var entry = _rules[rule];
                matches.Add(new RuleMatch(entry.RuleId, entry.OwnerId, paper.Id, Distinct(collected)));
            }

            scratch.Unload();
        }

        return matches;
    }

    private void GatherCandidates(Scratch scratch)
    {
        scratch.CandidateCount = 0;
        foreach (var rule in _alwaysChecked)
        {
            scratch.AddCandidate(rule);
        }

        var paperWords = scratch.PaperWords;
        for (var i = 0; i < scratch.PaperWordCount; i++)
        {
            var local = paperWords[i];
            var word = scratch.LocalWord[local];
            if (word >= 0)
            {
                for (var k = _wordPostingStart[word]; k < _wordPostingStart[word + 1]; k++)
                {
                    scratch.AddCandidate(_wordPostings[k]);
                }
            }

            foreach (var prefix in scratch.LocalPrefixes[local])
            {
                for (var k = _prefixPostingStart[prefix]; k < _prefixPostingStart[prefix + 1]; k++)
                {
                    scratch.AddCandidate(_prefixPostings[k]);
                }
            }
        }
    }

    private bool Holds(int index, Scratch scratch)
    {
        ref readonly var op = ref _ops[index];
        switch (op.Kind)
        {
            case OpKind.Word:
                return (scratch.WordFields[op.A] & op.Fields) != 0;
            case OpKind.Prefix:
                return (scratch.PrefixFields[op.A] & op.Fields) != 0;
            case OpKind.Phrase:
                return PhraseOccurs(op.A, op.Fields, scratch, collect: false);
            case OpKind.Threshold:
                return ThresholdNode.IsSatisfied(op.Comparison, op.A, scratch.Upvotes);
            case OpKind.Not:
                return !Holds(op.A, scratch);
            case OpKind.And:
                for (var i = op.A; i < op.A + op.B; i++)
                {
                    if (!Holds(_children[i], scratch))
                    {
                        return false;
                    }
                }

                return true;
            default:
                for (var i = op.A; i < op.A + op.B; i++)
                {
                    if (Holds(_children[i], scratch))
                    {
                        return true;
                    }
                }

                return false;
        }
    }

    /// <summary>Gathers what a node known to hold matched, by the rules of <see cref="RuleEvaluator"/>.</summary>
    private void Collect(int index, Scratch scratch)
    {
        ref readonly var op = ref _ops[index];
        switch (op.Kind)
        {
            case OpKind.Word:
                AddPerField(scratch.WordFields[op.A] & op.Fields, _words[op.A], scratch.Collected);
                break;
            case OpKind.Prefix:
                for (var i = 0; i < scratch.PaperWordCount; i++)
                {
                    var local = scratch.PaperWords[i];
                    if (Array.IndexOf(scratch.LocalPrefixes[local], op.A) >= 0)
                    {
                        AddPerField(scratch.LocalFields[local] & op.Fields, scratch.LocalText[local], scratch.Collected);
                    }
                }

                break;
            case OpKind.Phrase:
                PhraseOccurs(op.A, op.Fields, scratch, collect: true);
                break;
            case OpKind.And:
                for (var i = op.A; i < op.A + op.B; i++)
                {
                    Collect(_children[i], scratch);
                }

                break;
            case OpKind.Or:
                for (var i = op.A; i < op.A + op.B; i++)
                {
                    if (Holds(_children[i], scratch))
                    {
                        Collect(_children[i], scratch);
                    }
                }

                break;
        }
    }

    private static void AddPerField(int fields, string text, List<MatchedWord> collected)
    {
        for (var field = 0; field < 3; field++)
        {
            if ((fields & (1 << field)) != 0)
            {
                collected.Add(new MatchedWord((PaperField)field, text));
            }
        }
    }

    private bool PhraseOccurs(int phrase, int fields, Scratch scratch, bool collect)
    {
        var words = _phraseWords[phrase];
        var prefix = _phrasePrefix[phrase];
        var candidateFields = fields;
        foreach (var word in words)
        {
            candidateFields &= scratch.WordFields[word];
        }

        if (prefix >= 0)
        {
            candidateFields &= scratch.PrefixFields[prefix];
        }

        if (candidateFields == 0)
        {
            return false;
        }

        var length = words.Length + (prefix >= 0 ? 1 : 0);
        var found = false;
        for (var field = 0; field < 3; field++)
        {
            if ((candidateFields & (1 << field)) == 0)
            {
                continue;
            }

            var tokens = scratch.FieldTokens[field];
            var count = scratch.FieldTokenCount[field];
            for (var start = 0; start + length <= count; start++)
            {
                if (!PhraseAt(words, prefix, tokens, start, scratch))
                {
                    continue;
                }

                if (!collect)
                {
                    return true;
                }

                found = true;
                var text = new string[length];
                for (var i = 0; i < length; i++)
                {
                    text[i] = scratch.LocalText[tokens[start + i]];
                }

                scratch.Collected.Add(new MatchedWord((PaperField)field, string.Join(' ', text)));
            }
        }

        return found;
    }

    private static bool PhraseAt(int[] words, int prefix, int[] tokens, int start, Scratch scratch)
    {
        for (var i = 0; i < words.Length; i++)
        {
            var local = tokens[start + i];
            if (local < 0 || scratch.LocalWord[local] != words[i])
            {
                return false;
            }
        }

        if (prefix >= 0)
        {
            var local = tokens[start + words.Length];
            return local >= 0 && Array.IndexOf(scratch.LocalPrefixes[local], prefix) >= 0;
        }

        return true;
    }

    private static MatchedWord[] Distinct(List<MatchedWord> collected)
    {
        if (collected.Count == 0)
        {
            return [];
        }

        collected.Sort();
        var distinct = 1;
        for (var i = 1; i < collected.Count; i++)
        {
            if (collected[i] != collected[distinct - 1])
            {
                collected[distinct++] = collected[i];
            }
        }

        var result = new MatchedWord[distinct];
        collected.CopyTo(0, result, 0, distinct);
        return result;
    }

    private static (int[] Start, int[] Postings) ToPostings(List<(int Key, int Rule)> anchors, int keyCount)
    {
        var start = new int[keyCount + 1];
        foreach (var (key, _) in anchors)
        {
            start[key + 1]++;
        }

        for (var i = 0; i < keyCount; i++)
        {
            start[i + 1] += start[i];
        }

        var postings = new int[anchors.Count];
        var fill = (int[])start.Clone();
        foreach (var (key, rule) in anchors)
        {
            postings[fill[key]++] = rule;
        }

        return (start, postings);
    }

    private enum OpKind : byte
    {
        Word,
        Prefix,
        Phrase,
        Threshold,
        Not,
        And,
        Or,
    }

    /// <summary>One compiled node. Word: A = word id. Prefix: A = prefix id. Phrase: A = phrase id. Threshold: A = value.
    /// Not: A = operand op. And/Or: operands are <c>_children[A..A+B]</c>. Fields: the field bits a term searches.</summary>
    private readonly record struct Op(OpKind Kind, int Fields, int A, int B, ComparisonOperator Comparison = default);

    /// <summary>Where a rule is filed, and how many papers that lets through (lower is better).</summary>
    private sealed record Anchors(List<(bool IsPrefix, int Id)> Keys, double Cost);

    private sealed class Compiler(WordFrequencies? frequencies)
    {
        private readonly Dictionary<int, double> _wordCost = [];
        private readonly Dictionary<int, double> _prefixCost = [];

        public List<Op> Ops { get; } = [];

        public List<int> Children { get; } = [];

        public List<int[]> PhraseWords { get; } = [];

        public List<int> PhrasePrefix { get; } = [];

        public Dictionary<string, int> Vocabulary { get; } = new(StringComparer.Ordinal);

        public List<string> Words { get; } = [];

        public Dictionary<string, int> PrefixIds { get; } = new(StringComparer.Ordinal);

        public List<string> Prefixes { get; } = [];

        public List<int> Roots { get; } = [];

        public List<(int Key, int Rule)> WordAnchors { get; } = [];

        public List<(int Key, int Rule)> PrefixAnchors { get; } = [];

        public List<int> AlwaysChecked { get; } = [];

        public void Add(int rule, Rule parsed)
        {
            Roots.Add(Compile(parsed.Root, AllFields));
            var anchors = Anchor(parsed.Root);
            if (anchors is null)
            {
                AlwaysChecked.Add(rule);
                return;
            }

            // An OR can name the same word twice; file the rule once per key.
            var seen = new HashSet<(bool, int)>();
            foreach (var key in anchors.Keys)
            {
                if (seen.Add(key))
                {
                    (key.IsPrefix ? PrefixAnchors : WordAnchors).Add((key.Id, rule));
                }
            }
        }

        private int Compile(RuleNode node, int fields)
        {
            switch (node)
            {
                case TermNode term when !term.IsPhrase && !term.IsPrefix:
                    return Emit(new Op(OpKind.Word, fields, WordId(term.Words[0]), 0));
                case TermNode term when !term.IsPhrase:
                    return Emit(new Op(OpKind.Prefix, fields, PrefixId(term.Words[0]), 0));
                case TermNode term:
                    {
                        var exact = term.IsPrefix ? term.Words.Length - 1 : term.Words.Length;
                        var ids = new int[exact];
                        for (var i = 0; i < exact; i++)
                        {
                            ids[i] = WordId(term.Words[i]);
                        }

                        PhraseWords.Add(ids);
                        PhrasePrefix.Add(term.IsPrefix ? PrefixId(term.Words[^1]) : -1);
                        return Emit(new Op(OpKind.Phrase, fields, PhraseWords.Count - 1, 0));
                    }

                case ThresholdNode threshold:
                    return Emit(new Op(OpKind.Threshold, 0, threshold.Value, 0, threshold.Comparison));
                case NotNode not:
                    return Emit(new Op(OpKind.Not, 0, Compile(not.Operand, fields), 0));
                case FieldScopeNode scope:
                    return Compile(scope.Operand, 1 << (int)scope.Field);
                case AndNode andNode:
                    return EmitGroup(OpKind.And, andNode.Operands, fields);
                case OrNode orNode:
                    return EmitGroup(OpKind.Or, orNode.Operands, fields);
                default:
                    throw new ArgumentException($"Unknown rule node {node.GetType().Name}.", nameof(node));
            }
        }

        private int EmitGroup(OpKind kind, IReadOnlyList<RuleNode> operands, int fields)
        {
            var compiled = new int[operands.Count];
            for (var i = 0; i < compiled.Length; i++)
            {
                compiled[i] = Compile(operands[i], fields);
            }

            // Cheap tests first: word and prefix lookups before thresholds, negations and phrase scans.
            var order = compiled.OrderBy(op => Ops[op].Kind switch
            {
                OpKind.Word or OpKind.Prefix => 0,
                OpKind.Threshold => 1,
                OpKind.Phrase => 3,
                _ => 2,
            }).ToArray();
            var start = Children.Count;
            Children.AddRange(order);
            return Emit(new Op(kind, 0, start, order.Length));
        }

        private int Emit(Op op)
        {
            Ops.Add(op);
            return Ops.Count - 1;
        }

        private int WordId(string word)
        {
            if (!Vocabulary.TryGetValue(word, out var id))
            {
                id = Words.Count;
                Vocabulary.Add(word, id);
                Words.Add(word);
            }

            return id;
        }

        private int PrefixId(string prefix)
        {
            if (!PrefixIds.TryGetValue(prefix, out var id))
            {
                id = Prefixes.Count;
                PrefixIds.Add(prefix, id);
                Prefixes.Add(prefix);
            }

            return id;
        }

        /// <summary>The keys a paper must contain one of for the node to hold; null when there are none.</summary>
        private Anchors? Anchor(RuleNode node)
        {
            switch (node)
            {
                case TermNode term:
                    {
                        var exact = term.IsPrefix ? term.Words.Length - 1 : term.Words.Length;
                        (bool IsPrefix, int Id) best = default;
                        var bestCost = double.MaxValue;
                        for (var i = 0; i < exact; i++)
                        {
                            var id = WordId(term.Words[i]);
                            var cost = WordCost(id);
                            if (cost < bestCost)
                            {
                                (best, bestCost) = ((false, id), cost);
                            }
                        }

                        if (term.IsPrefix)
                        {
                            var id = PrefixId(term.Words[^1]);
                            var cost = PrefixCost(id);
                            if (cost < bestCost)
                            {
                                (best, bestCost) = ((true, id), cost);
                            }
                        }

                        return new Anchors([best], bestCost);
                    }

                case FieldScopeNode scope:
                    return Anchor(scope.Operand);
                case AndNode andNode:
                    {
                        Anchors? best = null;
                        foreach (var operand in andNode.Operands)
                        {
                            var anchors = Anchor(operand);
                            if (anchors is not null && (best is null || anchors.Cost < best.Cost))
                            {
                                best = anchors;
                            }
                        }

                        return best;
                    }

                case OrNode orNode:
                    {
                        var keys = new List<(bool, int)>();
                        var cost = 0.0;
                        foreach (var operand in orNode.Operands)
                        {
                            var anchors = Anchor(operand);
                            if (anchors is null)
                            {
                                return null;
                            }

                            keys.AddRange(anchors.Keys);
                            cost += anchors.Cost;
                        }

                        return new Anchors(keys, cost);
                    }

                default:
                    // NOT and thresholds hold on papers without any particular word.
                    return null;
            }
        }

        private double WordCost(int id)
        {
            if (!_wordCost.TryGetValue(id, out var cost))
            {
                var word = Words[id];
                cost = frequencies is null
                    ? 1.0 / (word.Length * word.Length)
                    : frequencies.DocumentFrequency(word) + (0.5 / (frequencies.PaperCount + 1));
                _wordCost.Add(id, cost);
            }

            return cost;
        }

        private double PrefixCost(int id)
        {
            if (!_prefixCost.TryGetValue(id, out var cost))
            {
                var prefix = Prefixes[id];
                cost = frequencies is null
                    ? 4.0 / (prefix.Length * prefix.Length)
                    : frequencies.PrefixFrequency(prefix) + (0.5 / (frequencies.PaperCount + 1));
                _prefixCost.Add(id, cost);
            }

            return cost;
        }
    }

    /// <summary>
    /// Per-call working memory. Words of the batch get local ids once (so each distinct word is looked up in the
    /// vocabulary and probed for prefixes once per batch); the per-paper arrays are cleared word by word after each paper.
    /// </summary>
    private sealed class Scratch
    {
        private static readonly int[] NoPrefixes = [];

        private readonly RuleIndex _index;
        private readonly Dictionary<string, int> _localIds = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _localLookup;
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _prefixLookup;
        private readonly int[] _ruleStamp;
        private int _stamp;
        private char[] _buffer = new char[64];

        public Scratch(RuleIndex index)
        {
            _index = index;
            _localLookup = _localIds.GetAlternateLookup<ReadOnlySpan<char>>();
            _prefixLookup = index._prefixIds.GetAlternateLookup<ReadOnlySpan<char>>();
            _ruleStamp = new int[index._rules.Length];
            WordFields = new byte[index._words.Length];
            PrefixFields = new byte[index._prefixes.Length];
            Candidates = new int[Math.Max(16, Math.Min(index._rules.Length, 4096))];
        }

        /// <summary>Per local word: its vocabulary id or -1.</summary>
        public int[] LocalWord { get; private set; } = new int[1024];

        /// <summary>Per local word: the ids of the rule prefixes it starts with.</summary>
        public int[][] LocalPrefixes { get; private set; } = new int[1024][];

        public string[] LocalText { get; private set; } = new string[1024];

        /// <summary>Per local word: the field bits it occurs in, in the current paper.</summary>
        public byte[] LocalFields { get; private set; } = new byte[1024];

        /// <summary>Per vocabulary word: the field bits it occurs in, in the current paper.</summary>
        public byte[] WordFields { get; }

        /// <summary>Per prefix: the field bits where a word starting with it occurs, in the current paper.</summary>
        public byte[] PrefixFields { get; }

        /// <summary>Per field: local word ids in text order; -1 separates authors.</summary>
        public int[][] FieldTokens { get; } = [new int[64], new int[512], new int[64]];

        public int[] FieldTokenCount { get; } = new int[3];

        /// <summary>The distinct local words of the current paper.</summary>
        public int[] PaperWords { get; private set; } = new int[512];

        public int PaperWordCount { get; private set; }

        public int Upvotes { get; private set; }

        public int[] Candidates { get; private set; }

        public int CandidateCount { get; set; }

        public List<int> Matched { get; } = [];

        public List<MatchedWord> Collected { get; } = [];

        public void Load(Paper paper)
        {
            _stamp++;
            Upvotes = paper.Upvotes;
            PaperWordCount = 0;
            Tokenize(paper.Title, 0);
            Tokenize(paper.Abstract, 1);
            FieldTokenCount[2] = 0;
            for (var i = 0; i < paper.Authors.Count; i++)
            {
                if (i > 0)
                {
                    Append(2, -1);
                }

                Tokenize(paper.Authors[i], 2, append: true);
            }

            for (var i = 0; i < PaperWordCount; i++)
            {
                var local = PaperWords[i];
                var fields = LocalFields[local];
                var word = LocalWord[local];
                if (word >= 0)
                {
                    WordFields[word] = fields;
                }

                foreach (var prefix in LocalPrefixes[local])
                {
                    PrefixFields[prefix] |= fields;
                }
            }
        }

        public void Unload()
        {
            for (var i = 0; i < PaperWordCount; i++)
            {
                var local = PaperWords[i];
                LocalFields[local] = 0;
                var word = LocalWord[local];
                if (word >= 0)
                {
                    WordFields[word] = 0;
                }

                foreach (var prefix in LocalPrefixes[local])
                {
                    PrefixFields[prefix] = 0;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddCandidate(int rule)
        {
            if (_ruleStamp[rule] == _stamp)
            {
                return;
            }

            _ruleStamp[rule] = _stamp;
            if (CandidateCount == Candidates.Length)
            {
                var grown = Candidates;
                Array.Resize(ref grown, grown.Length * 2);
                Candidates = grown;
            }

            Candidates[CandidateCount++] = rule;
        }

        private void Tokenize(string? text, int field, bool append = false)
        {
            if (!append)
            {
                FieldTokenCount[field] = 0;
            }

            if (string.IsNullOrEmpty(text))
            {
                return;
            }

            var bit = (byte)(1 << field);
            var scanner = new WordScanner(text, _buffer);
            while (scanner.MoveNext())
            {
                var local = LocalId(scanner.Current);
                if (LocalFields[local] == 0)
                {
                    if (PaperWordCount == PaperWords.Length)
                    {
                        var grown = PaperWords;
                        Array.Resize(ref grown, grown.Length * 2);
                        PaperWords = grown;
                    }

                    PaperWords[PaperWordCount++] = local;
                }

                LocalFields[local] |= bit;
                Append(field, local);
            }

            _buffer = scanner.Buffer;
        }

        private void Append(int field, int local)
        {
            var tokens = FieldTokens[field];
            if (FieldTokenCount[field] == tokens.Length)
            {
                Array.Resize(ref tokens, tokens.Length * 2);
                FieldTokens[field] = tokens;
            }

            tokens[FieldTokenCount[field]++] = local;
        }

        private int LocalId(ReadOnlySpan<char> word)
        {
            if (_localLookup.TryGetValue(word, out var local))
            {
                return local;
            }

            local = _localIds.Count;
            var text = word.ToString();
            _localIds.Add(text, local);
            if (local == LocalWord.Length)
            {
                var size = local * 2;
                LocalWord = Grow(LocalWord, size);
                LocalPrefixes = Grow(LocalPrefixes, size);
                LocalText = Grow(LocalText, size);
                LocalFields = Grow(LocalFields, size);
            }

            LocalWord[local] = _index._vocabulary.GetValueOrDefault(text, -1);
            LocalText[local] = text;
            LocalPrefixes[local] = FindPrefixes(word);
            return local;
        }

        private int[] FindPrefixes(ReadOnlySpan<char> word)
        {
            List<int>? found = null;
            foreach (var length in _index._prefixLengths)
            {
                if (length > word.Length)
                {
                    break;
                }

                if (_prefixLookup.TryGetValue(word[..length], out var prefix))
                {
                    (found ??= []).Add(prefix);
                }
            }

            return found is null ? NoPrefixes : [.. found];
        }

        private static T[] Grow<T>(T[] array, int size)
        {
            Array.Resize(ref array, size);
            return array;
        }
    }
}
