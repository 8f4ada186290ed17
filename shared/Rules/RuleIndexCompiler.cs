namespace Digest.Rules;

public sealed partial class RuleIndex
{
    /// <summary>
    /// Compiles rules into the index's arrays. Built for 100,000 rules in tens of milliseconds: every word and prefix is
    /// interned once, a rule's anchors are worked out in one pass over its tree into scratch arrays reused from rule to
    /// rule, and the output grows in plain arrays, so compiling a rule allocates nothing but what the index keeps.
    /// </summary>
    internal sealed class Compiler(WordFrequencies? frequencies)
    {
        private readonly Dictionary<TermNode, int> _phraseIds = [];
        private readonly List<double> _wordCost = [];
        private readonly List<double> _prefixCost = [];
        private readonly List<int[]> _phraseWords = [];
        private readonly List<int> _phrasePrefix = [];
        private readonly Dictionary<string, int> _vocabulary = new(StringComparer.Ordinal);
        private readonly List<string> _words = [];
        private readonly Dictionary<string, int> _prefixIds = new(StringComparer.Ordinal);
        private readonly List<string> _prefixes = [];
        private RuleVocabulary? _snapshot;

        // Per node of the rule being compiled, in the order of its tree (pre-order): how many nodes its subtree has,
        // and where its anchors are in the anchor scratch (count -1: it has none) with what they cost.
        private int[] _subtreeSize = new int[64];
        private int[] _anchorStart = new int[64];
        private int[] _anchorCount = new int[64];
        private double[] _anchorCost = new double[64];
        private int _nodeCount;
        private int[] _anchorKeys = new int[64];
        private int _anchorKeyCount;
        private readonly List<CompiledLike> _likes = [];
        private Op[] _ops = new Op[64];
        private int _opCount;

        /// <summary>The words, prefixes and phrases of every rule compiled so far, as the index reads them.</summary>
        public RuleVocabulary Vocabulary()
        {
            if (_snapshot is null || _snapshot.Words.Length != _words.Count || _snapshot.Prefixes.Length != _prefixes.Count
                || _snapshot.PhraseWords.Length != _phraseWords.Count)
            {
                _snapshot = new RuleVocabulary(_vocabulary, _words, _prefixIds, _prefixes, _phraseWords, _phrasePrefix);
            }

            return _snapshot;
        }

        /// <summary>Compiles one rule into a block of operations and the anchors to file it under.</summary>
        public CompiledRule Compile(Rule parsed)
        {
            _nodeCount = 0;
            _anchorKeyCount = 0;
            _opCount = 0;
            _likes.Clear();
            Analyze(parsed.Root);
            Compile(parsed.Root, 0, AllFields);
            Op[] ops = _ops.AsSpan(0, _opCount).ToArray();

            var root = parsed.Root;
            var number = 0;
            while (root is FieldScopeNode scope)
            {
                root = scope.Operand;
                number++;
            }

            // A rule needs the anchors of every operand of its top-level AND; the two rarest sets are enough to
            // keep most rules that cannot match from being evaluated at all.
            int first = -1, second = -1;
            if (root is AndNode andNode)
            {
                var operand = number + 1;
                for (var i = 0; i < andNode.Operands.Length; i++, operand += _subtreeSize[operand])
                {
                    if (_anchorCount[operand] < 0)
                    {
                        continue;
                    }

                    if (first < 0 || _anchorCost[operand] < _anchorCost[first])
                    {
                        (first, second) = (operand, first);
                    }
                    else if (second < 0 || _anchorCost[operand] < _anchorCost[second])
                    {
                        second = operand;
                    }
                }
            }
            else if (_anchorCount[number] >= 0)
            {
                first = number;
            }

            return new CompiledRule(ops, first < 0 ? [] : DistinctKeys(first), second < 0 ? null : DistinctKeys(second), [.. _likes]);
        }

        private int[] DistinctKeys(int node)
        {
            // An OR can name the same word twice; file the rule once per key.
            var start = _anchorStart[node];
            var end = start + _anchorCount[node];
            var keys = new List<int>(end - start);
            for (var i = start; i < end; i++)
            {
                if (!keys.Contains(_anchorKeys[i]))
                {
                    keys.Add(_anchorKeys[i]);
                }
            }

            return [.. keys];
        }

        /// <summary>Numbers the node and its subtree in pre-order and works out the anchors of each: the keys a paper
        /// must contain one of for the node to hold (none for NOT and thresholds). Returns the node's number.</summary>
        private int Analyze(RuleNode node)
        {
            var number = _nodeCount++;
            if (number == _subtreeSize.Length)
            {
                var size = number * 2;
                Array.Resize(ref _subtreeSize, size);
                Array.Resize(ref _anchorStart, size);
                Array.Resize(ref _anchorCount, size);
                Array.Resize(ref _anchorCost, size);
            }

            _anchorCount[number] = -1;
            switch (node)
            {
                case TermNode term:
                    {
                        // A term is filed under its rarest exact word (or its prefix, when that is rarer still).
                        var exact = term.IsPrefix ? term.Words.Length - 1 : term.Words.Length;
                        var bestKey = 0;
                        var bestCost = double.MaxValue;
                        for (var i = 0; i < exact; i++)
                        {
                            var id = WordId(term.Words[i]);
                            var cost = WordCost(id);
                            if (cost < bestCost)
                            {
                                (bestKey, bestCost) = (id << 1, cost);
                            }
                        }

                        if (term.IsPrefix)
                        {
                            var id = PrefixId(term.Words[^1]);
                            var cost = PrefixCost(id);
                            if (cost < bestCost)
                            {
                                (bestKey, bestCost) = ((id << 1) | 1, cost);
                            }
                        }

                        SetAnchors(number, AppendKey(bestKey), 1, bestCost);
                        break;
                    }

                case LikeNode like:
                    {
                        // A paper without any of the query's words scores 0: the words are the anchors, as for an OR.
                        var start = _anchorKeyCount;
                        var cost = 0.0;
                        foreach (var term in like.Query.Terms)
                        {
                            var id = WordId(term);
                            AppendKey(id << 1);
                            cost += WordCost(id);
                        }

                        SetAnchors(number, start, _anchorKeyCount - start, cost);
                        break;
                    }

                case FieldScopeNode scope:
                    CopyAnchors(number, Analyze(scope.Operand));
                    break;
                case NotNode not:
                    Analyze(not.Operand);
                    break;
                case AndNode andNode:
                    {
                        var best = -1;
                        foreach (var operand in andNode.Operands)
                        {
                            var child = Analyze(operand);
                            if (_anchorCount[child] >= 0 && (best < 0 || _anchorCost[child] < _anchorCost[best]))
                            {
                                best = child;
                            }
                        }

                        if (best >= 0)
                        {
                            CopyAnchors(number, best);
                        }

                        break;
                    }

                case OrNode orNode:
                    {
                        // One operand that can hold without any word makes the whole OR unanchored.
                        var anchored = true;
                        var first = number + 1;
                        foreach (var operand in orNode.Operands)
                        {
                            anchored &= _anchorCount[Analyze(operand)] >= 0;
                        }

                        if (anchored)
                        {
                            var start = _anchorKeyCount;
                            var cost = 0.0;
                            for (var child = first; child < _nodeCount; child += _subtreeSize[child])
                            {
                                for (var k = 0; k < _anchorCount[child]; k++)
                                {
                                    AppendKey(_anchorKeys[_anchorStart[child] + k]);
                                }

                                cost += _anchorCost[child];
                            }

                            SetAnchors(number, start, _anchorKeyCount - start, cost);
                        }

                        break;
                    }
            }

            _subtreeSize[number] = _nodeCount - number;
            return number;
        }

        private void SetAnchors(int node, int start, int count, double cost)
        {
            _anchorStart[node] = start;
            _anchorCount[node] = count;
            _anchorCost[node] = cost;
        }

        private void CopyAnchors(int node, int from) => SetAnchors(node, _anchorStart[from], _anchorCount[from], _anchorCost[from]);

        private int AppendKey(int key)
        {
            if (_anchorKeyCount == _anchorKeys.Length)
            {
                Array.Resize(ref _anchorKeys, _anchorKeys.Length * 2);
            }

            _anchorKeys[_anchorKeyCount] = key;
            return _anchorKeyCount++;
        }

        /// <summary>Emits <paramref name="node"/> (numbered <paramref name="number"/> by <see cref="Analyze"/>) in prefix
        /// order; returns the index of its operation.</summary>
        private int Compile(RuleNode node, int number, int fields)
        {
            switch (node)
            {
                case TermNode term when !term.IsPhrase && !term.IsPrefix:
                    return Emit(new Op(OpKind.Word, fields, WordId(term.Words[0])));
                case TermNode term when !term.IsPhrase:
                    return Emit(new Op(OpKind.Prefix, fields, PrefixId(term.Words[0])));
                case TermNode term:
                    {
                        // One phrase id per distinct phrase, shared by every rule that uses it.
                        if (!_phraseIds.TryGetValue(term, out var phrase))
                        {
                            var exact = term.IsPrefix ? term.Words.Length - 1 : term.Words.Length;
                            var ids = new int[exact];
                            for (var i = 0; i < exact; i++)
                            {
                                ids[i] = WordId(term.Words[i]);
                            }

                            phrase = _phraseWords.Count;
                            _phraseIds.Add(term, phrase);
                            _phraseWords.Add(ids);
                            _phrasePrefix.Add(term.IsPrefix ? PrefixId(term.Words[^1]) : -1);
                        }

                        return Emit(new Op(OpKind.Phrase, fields, phrase));
                    }

                case ThresholdNode threshold:
                    return Emit(new Op(OpKind.Threshold, 0, threshold.Value, threshold.Comparison));
                case LikeNode like:
                    {
                        var ids = new int[like.Query.Terms.Count];
                        for (var i = 0; i < ids.Length; i++)
                        {
                            ids[i] = WordId(like.Query.Terms[i]);
                        }

                        _likes.Add(new CompiledLike(like, ids));
                        return Emit(new Op(OpKind.Like, 0b011, _likes.Count - 1));
                    }

                case NotNode not:
                    {
                        var index = Emit(new Op(OpKind.Not, 0, 0));
                        Compile(not.Operand, number + 1, fields);
                        return Close(index);
                    }

                case FieldScopeNode scope:
                    return Compile(scope.Operand, number + 1, 1 << (int)scope.Field);
                case AndNode andNode:
                    return CompileGroup(OpKind.And, andNode.Operands, number, fields);
                case OrNode orNode:
                    return CompileGroup(OpKind.Or, orNode.Operands, number, fields);
                default:
                    throw new ArgumentException($"Unknown rule node {node.GetType().Name}.", nameof(node));
            }
        }

        private int CompileGroup(OpKind kind, System.Collections.Immutable.ImmutableArray<RuleNode> operands, int number, int fields)
        {
            // Operands in evaluation order: cheap lookups go before negations and phrase walks. In an AND, the anchoring
            // operand goes last of its rank (when the index brings a rule up, it most likely holds), and rarer words
            // before common ones. A stable insertion sort: a group has at most a few dozen operands.
            Span<int> order = stackalloc int[operands.Length];
            Span<int> numbers = stackalloc int[operands.Length];
            var best = kind == OpKind.And ? _anchorCount[number] >= 0 ? BestOperand(number, operands.Length) : -1 : -2;
            var child = number + 1;
            for (var i = 0; i < operands.Length; i++)
            {
                numbers[i] = child;
                child += _subtreeSize[child];
                var j = i - 1;
                while (j >= 0 && Compare(operands, numbers, order[j], i, best) > 0)
                {
                    order[j + 1] = order[j];
                    j--;
                }

                order[j + 1] = i;
            }

            var index = Emit(new Op(kind, 0, operands.Length));
            foreach (var i in order)
            {
                Compile(operands[i], numbers[i], fields);
            }

            return Close(index);
        }

        /// <summary>Which operand of the AND numbered <paramref name="number"/> gave it its anchors.</summary>
        private int BestOperand(int number, int count)
        {
            var child = number + 1;
            for (var i = 0; i < count; i++, child += _subtreeSize[child])
            {
                if (_anchorCount[child] >= 0 && _anchorStart[child] == _anchorStart[number] && _anchorCost[child] == _anchorCost[number])
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Orders two operands by rank; in an AND (<paramref name="best"/> above -2) then the anchoring one last, then by anchor cost.</summary>
        private int Compare(System.Collections.Immutable.ImmutableArray<RuleNode> operands, Span<int> numbers, int left, int right, int best)
        {
            var byRank = Rank(operands[left]).CompareTo(Rank(operands[right]));
            if (byRank != 0 || best == -2)
            {
                return byRank;
            }

            var byBest = (left == best ? 1 : 0).CompareTo(right == best ? 1 : 0);
            if (byBest != 0)
            {
                return byBest;
            }

            var leftCost = _anchorCount[numbers[left]] >= 0 ? _anchorCost[numbers[left]] : double.MaxValue;
            var rightCost = _anchorCount[numbers[right]] >= 0 ? _anchorCost[numbers[right]] : double.MaxValue;
            return leftCost.CompareTo(rightCost);
        }

        private static int Rank(RuleNode node) => node switch
        {
            TermNode { IsPhrase: false } => 0,
            ThresholdNode => 1,
            TermNode or LikeNode => 3,
            FieldScopeNode scope => Rank(scope.Operand),
            _ => 2,
        };

        private int Emit(Op op)
        {
            if (_opCount == _ops.Length)
            {
                Array.Resize(ref _ops, _ops.Length * 2);
            }

            _ops[_opCount] = op;
            return _opCount++;
        }

        private int Close(int index)
        {
            _ops[index] = _ops[index].WithSize(_opCount - index);
            return index;
        }

        private int WordId(string word)
        {
            if (!_vocabulary.TryGetValue(word, out var id))
            {
                id = _words.Count;
                _vocabulary.Add(word, id);
                _words.Add(word);
                _wordCost.Add(frequencies is null
                    ? 1.0 / (word.Length * word.Length)
                    : frequencies.DocumentFrequency(word) + (0.5 / (frequencies.PaperCount + 1)));
            }

            return id;
        }

        private int PrefixId(string prefix)
        {
            if (!_prefixIds.TryGetValue(prefix, out var id))
            {
                id = _prefixes.Count;
                _prefixIds.Add(prefix, id);
                _prefixes.Add(prefix);
                _prefixCost.Add(frequencies is null
                    ? 4.0 / (prefix.Length * prefix.Length)
                    : frequencies.PrefixFrequency(prefix) + (0.5 / (frequencies.PaperCount + 1)));
            }

            return id;
        }

        private double WordCost(int id) => _wordCost[id];

        private double PrefixCost(int id) => _prefixCost[id];
    }

    /// <summary>One rule compiled: its operations in prefix order (position-independent: operands are found by size)
    /// and the keys of its anchors, a word id times 2 or a prefix id times 2 plus 1.</summary>
    /// <param name="Ops">The operations.</param>
    /// <param name="FirstAnchors">The keys of its rarest anchored operand; empty when the rule has no anchors.</param>
    /// <param name="SecondAnchors">The keys of the second rarest operand of its top-level AND, if it has one.</param>
    /// <param name="Likes">The rule's <c>like:</c> terms, which its Like operations number from 0.</param>
    internal sealed record CompiledRule(Op[] Ops, int[] FirstAnchors, int[]? SecondAnchors, CompiledLike[] Likes);

    /// <summary>A <c>like:</c> term and the word ids of its query's words.</summary>
    internal sealed record CompiledLike(LikeNode Node, int[] WordIds);

    /// <summary>An immutable copy of a compiler's words, prefixes and phrases, shared by the indexes built from it.</summary>
    internal sealed class RuleVocabulary
    {
        public RuleVocabulary(
            Dictionary<string, int> vocabulary, List<string> words, Dictionary<string, int> prefixIds, List<string> prefixes, List<int[]> phraseWords, List<int> phrasePrefix)
        {
            Ids = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
            Words = [.. words];
            PrefixIds = new Dictionary<string, int>(prefixIds, StringComparer.Ordinal);
            Prefixes = [.. prefixes];
            PrefixLengths = [.. Prefixes.Select(prefix => prefix.Length).Distinct().Order()];
            PhraseWords = [.. phraseWords];
            PhrasePrefix = [.. phrasePrefix];
            PhraseText = new string?[PhraseWords.Length];
            for (var i = 0; i < PhraseText.Length; i++)
            {
                PhraseText[i] = PhrasePrefix[i] < 0 ? string.Join(' ', PhraseWords[i].Select(word => Words[word])) : null;
            }

            TextRank = RankTexts([.. Words, .. PhraseText]);
        }

        public Dictionary<string, int> Ids { get; }

        public string[] Words { get; }

        public Dictionary<string, int> PrefixIds { get; }

        public string[] Prefixes { get; }

        public int[] PrefixLengths { get; }

        public int[][] PhraseWords { get; }

        public int[] PhrasePrefix { get; }

        public string?[] PhraseText { get; }

        public int[] TextRank { get; }
    }

    /// <summary>(anchor key, rule) pairs in two growing arrays; a key is a word id times 2, or a prefix id times 2 plus 1.</summary>
    internal sealed class AnchorList
    {
        public int[] Keys { get; private set; } = new int[1024];

        public int[] Rules { get; private set; } = new int[1024];

        public int Count { get; private set; }

        public void Add(int[] keys, int rule)
        {
            foreach (var key in keys)
            {
                Add(key, rule);
            }
        }

        public void Add(int key, int rule)
        {
            if (Count == Keys.Length)
            {
                var keys = Keys;
                var rules = Rules;
                Array.Resize(ref keys, Count * 2);
                Array.Resize(ref rules, Count * 2);
                (Keys, Rules) = (keys, rules);
            }

            Keys[Count] = key;
            Rules[Count] = rule;
            Count++;
        }
    }
}
