using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// <param name="Words">What matched where, exactly as <see cref="RuleEvaluator.Evaluate(Rule, Paper)"/> reports it (distinct,
/// ordered by field then text).</param>
public readonly record struct RuleMatch(string RuleId, string OwnerId, string PaperId, MatchedWordList Words);

/// <summary>
/// The matched words of one <see cref="RuleMatch"/>: a read-only view into storage shared by all the matches of one
/// <see cref="RuleIndex.Match(IReadOnlyList{Paper})"/> call, so a batch with a million matches does not make a million small arrays.
/// </summary>
public readonly struct MatchedWordList : IReadOnlyList<MatchedWord>, IEquatable<MatchedWordList>
{
    private readonly IMatchedWordSource? _source;
    private readonly int _start;

    internal MatchedWordList(IMatchedWordSource source, int start, int count)
    {
        _source = source;
        _start = start;
        Count = count;
    }

    public int Count { get; }

    public MatchedWord this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return _source!.MatchedWordAt(_start + index);
        }
    }

    public static bool operator ==(MatchedWordList left, MatchedWordList right) => left.Equals(right);

    public static bool operator !=(MatchedWordList left, MatchedWordList right) => !left.Equals(right);

    /// <summary>The words in a new array.</summary>
    public MatchedWord[] ToArray()
    {
        var words = new MatchedWord[Count];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = _source!.MatchedWordAt(_start + i);
        }

        return words;
    }

    /// <summary>Equal when both hold the same words in the same order.</summary>
    public bool Equals(MatchedWordList other)
    {
        if (Count != other.Count)
        {
            return false;
        }

        for (var i = 0; i < Count; i++)
        {
            if (this[i] != other[i])
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is MatchedWordList other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        for (var i = 0; i < Count; i++)
        {
            hash.Add(this[i]);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => string.Join(", ", ToArray());

    public IEnumerator<MatchedWord> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return _source!.MatchedWordAt(_start + i);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Where a <see cref="MatchedWordList"/> reads its words from.</summary>
internal interface IMatchedWordSource
{
    MatchedWord MatchedWordAt(int index);
}

/// <summary>
/// Many rules compiled for matching batches of papers at once. Immutable once built and safe to share between threads.
/// </summary>
/// <remarks>
/// <para>Each rule is filed under <em>anchors</em>: words (or wildcard prefixes) of which a paper must contain at least one
/// for the rule to have any chance to match. A term's anchor is its word (for a phrase, its rarest exact word); an AND
/// takes the anchors of its rarest operand that has any; an OR needs anchors from every operand and takes them all;
/// a <c>like:</c> term takes its query's words (a paper with none of them scores 0); NOT and thresholds give none. A rule whose top level is an AND is filed under the anchors of its two rarest anchored
/// operands, and is a candidate only when the paper has an anchor from each. A rule without anchors
/// (<c>upvotes&gt;=50 -survey</c>) is checked on every paper.</para>
/// <para>For each paper, the index cuts the text into words once (a batch looks each distinct word up once), sets one
/// bit per rule filed under those words or under the prefixes of those words, and evaluates only the rules whose bits
/// are set, in order. So the work grows with the rules a paper can match, not with all rules.</para>
/// <para>Which operand is "rarest" comes from <see cref="WordFrequencies"/> when given; otherwise longer words count as rarer.
/// The choice changes only the speed: the answers are always those of <see cref="RuleEvaluator"/> on each rule alone.</para>
/// <para>Each rule is compiled into a contiguous block of 12-byte operations in prefix order (an operation is followed by
/// its operands), words are integer ids, and the matches of a call are packed into integer arrays that hold no references,
/// so a batch with a million matches costs the garbage collector almost nothing.</para>
/// </remarks>
public sealed partial class RuleIndex
{
    private const int AllFields = 0b111;
    private const int Lookahead = 8;

    private readonly Op[] _ops;
    private readonly int[][] _phraseWords;
    private readonly int[] _phrasePrefix;
    private readonly string?[] _phraseText;
    private readonly int[] _textRank;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly string[] _words;
    private readonly Dictionary<string, int> _prefixIds;
    private readonly string[] _prefixes;
    private readonly int[] _prefixLengths;
    private readonly Postings _first;
    private readonly Postings _second;
    private readonly ulong[] _oneAnchorSet;
    private readonly ulong[] _alwaysChecked;
    private readonly int _alwaysCheckedCount;
    private readonly int[] _roots;
    private readonly CompiledLike[] _likes;
    private readonly string[] _ruleIds;
    private readonly string[] _ownerIds;

    private RuleIndex(IndexedRule[] rules, CompiledRule[] compiled, RuleVocabulary vocabulary)
    {
        _ruleIds = new string[rules.Length];
        _ownerIds = new string[rules.Length];
        _roots = new int[rules.Length];
        _oneAnchorSet = new ulong[(rules.Length + 63) >> 6];
        _alwaysChecked = new ulong[_oneAnchorSet.Length];
        var opCount = 0;
        foreach (var rule in compiled)
        {
            opCount += rule.Ops.Length;
        }

        // Each rule's block is copied next to the previous one, in rule order, so a batch reads them front to back.
        _ops = new Op[opCount];
        var likes = new List<CompiledLike>();
        var first = new AnchorList();
        var second = new AnchorList();
        var at = 0;
        for (var i = 0; i < rules.Length; i++)
        {
            (_ruleIds[i], _ownerIds[i]) = (rules[i].RuleId, rules[i].OwnerId);
            var rule = compiled[i];
            rule.Ops.CopyTo(_ops, at);
            if (rule.Likes.Length > 0)
            {
                // A block numbers its like: terms from 0; the index numbers them all.
                for (var k = at; k < at + rule.Ops.Length; k++)
                {
                    if (_ops[k].Kind == OpKind.Like)
                    {
                        _ops[k] = new Op(OpKind.Like, _ops[k].Fields, likes.Count + _ops[k].A);
                    }
                }

                likes.AddRange(rule.Likes);
            }

            _roots[i] = at;
            at += rule.Ops.Length;
            if (rule.FirstAnchors.Length == 0)
            {
                _alwaysChecked[i >> 6] |= 1UL << i;
                _alwaysCheckedCount++;
                continue;
            }

            first.Add(rule.FirstAnchors, i);
            if (rule.SecondAnchors is { } anchors)
            {
                second.Add(anchors, i);
            }
            else
            {
                _oneAnchorSet[i >> 6] |= 1UL << i;
            }
        }

        _likes = [.. likes];
        _phraseWords = vocabulary.PhraseWords;
        _phrasePrefix = vocabulary.PhrasePrefix;
        _words = vocabulary.Words;
        _phraseText = vocabulary.PhraseText;
        _textRank = vocabulary.TextRank;
        _vocabulary = vocabulary.Ids;
        _prefixIds = vocabulary.PrefixIds;
        _prefixes = vocabulary.Prefixes;
        _prefixLengths = vocabulary.PrefixLengths;
        _first = new Postings(first, _words.Length, _prefixes.Length);
        _second = new Postings(second, _words.Length, _prefixes.Length);
    }

    /// <summary>How many rules the index holds.</summary>
    public int Count => _roots.Length;

    /// <summary>How many rules have no anchor and are evaluated on every paper.</summary>
    public int AlwaysCheckedCount => _alwaysCheckedCount;

    /// <summary>Compiles <paramref name="rules"/> into an index. To build indexes over much the same rules again and
    /// again, a <see cref="RuleIndexCache"/> keeps each rule compiled between builds.</summary>
    /// <param name="rules">The rules; ids need not be unique, each entry is matched on its own.</param>
    /// <param name="frequencies">Word frequencies of recent papers, to file rules under their rarest words; optional.</param>
    public static RuleIndex Build(IEnumerable<IndexedRule> rules, WordFrequencies? frequencies = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        IndexedRule[] all = [.. rules];
        var compiler = new Compiler(frequencies);
        var compiled = new CompiledRule[all.Length];
        for (var i = 0; i < all.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(all[i]);
            compiled[i] = compiler.Compile(all[i].Rule);
        }

        return new RuleIndex(all, compiled, compiler.Vocabulary());
    }

    /// <summary>An index of rules compiled before (by <see cref="RuleIndexCache"/>) with <paramref name="vocabulary"/>.</summary>
    internal static RuleIndex Create(IndexedRule[] rules, CompiledRule[] compiled, RuleVocabulary vocabulary) => new(rules, compiled, vocabulary);

    /// <summary>Every (rule, paper) pair that matches, ordered by paper then by the order the rules were given.</summary>
    public IReadOnlyList<RuleMatch> Match(IReadOnlyList<Paper> papers) => Match(papers, useAnchors: true);

    /// <summary>The same answers as <see cref="Match(IReadOnlyList{Paper})"/>, evaluating every rule on every paper: the baseline the index is measured against.</summary>
    internal IReadOnlyList<RuleMatch> MatchEveryRule(IReadOnlyList<Paper> papers) => Match(papers, useAnchors: false);

    private Output Match(IReadOnlyList<Paper> papers, bool useAnchors)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var output = new Output(this, papers);
        var scratch = new Scratch(this, output);
        for (var p = 0; p < papers.Count; p++)
        {
            var paper = papers[p];
            scratch.Load(paper);
            if (useAnchors)
            {
                GatherCandidates(scratch);

                // Candidates are bits, so a rule reached through several words counts once, and the rules are
                // evaluated in order: their compiled blocks are read front to back, and the matches come out sorted.
                var candidates = scratch.Candidates;
                var count = 0;
                for (var w = 0; w < _alwaysChecked.Length; w++)
                {
                    var word = TakeCandidates(scratch, w);
                    while (word != 0)
                    {
                        candidates[count++] = (w << 6) + BitOperations.TrailingZeroCount(word);
                        word &= word - 1;
                    }
                }

                // Reading a candidate's first operation a few candidates ahead lets the processor fetch its block
                // while the current one is evaluated: evaluation waits on memory more than it computes.
                var ops = _ops;
                var roots = _roots;
                var touched = 0;
                for (var c = 0; c < count; c++)
                {
                    if (c + Lookahead < count)
                    {
                        touched += ops[roots[candidates[c + Lookahead]]].Size;
                    }

                    EvaluateRule(candidates[c], p, scratch, output);
                }

                scratch.Touched += touched;
            }
            else
            {
                for (var rule = 0; rule < _roots.Length; rule++)
                {
                    EvaluateRule(rule, p, scratch, output);
                }
            }

            scratch.Unload();
        }

        return output;
    }

    /// <summary>How many rules the index evaluates for <paramref name="papers"/> in all (for the benchmark's report).</summary>
    internal long CountCandidates(IReadOnlyList<Paper> papers)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var scratch = new Scratch(this, new Output(this, papers));
        long total = 0;
        foreach (var paper in papers)
        {
            scratch.Load(paper);
            GatherCandidates(scratch);
            for (var w = 0; w < _alwaysChecked.Length; w++)
            {
                total += BitOperations.PopCount(TakeCandidates(scratch, w));
            }

            scratch.Unload();
        }

        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EvaluateRule(int rule, int paperIndex, Scratch scratch, Output output)
    {
        var root = _roots[rule];
        if (!Holds(root, scratch))
        {
            return;
        }

        // Collect at once, while the rule's block is still in the cache.
        var collected = scratch.Collected;
        collected.Clear();
        Collect(root, scratch);
        output.Add(rule, paperIndex, SortDistinct(CollectionsMarshal.AsSpan(collected), output));
    }

    /// <summary>
    /// The candidates among rules 64w..64w+63, clearing their bits: a rule is a candidate when the paper has one of
    /// its first anchors and, when it has a second set of anchors (from another operand of its top-level AND), one of those too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong TakeCandidates(Scratch scratch, int w)
    {
        var first = scratch.FirstBits[w];
        var second = scratch.SecondBits[w];
        scratch.FirstBits[w] = 0;
        scratch.SecondBits[w] = 0;
        return (first & (second | _oneAnchorSet[w])) | _alwaysChecked[w];
    }

    private void GatherCandidates(Scratch scratch)
    {
        var paperWords = scratch.PaperWords;
        for (var i = 0; i < scratch.PaperWordCount; i++)
        {
            var local = paperWords[i];
            var word = scratch.LocalWord[local];
            var prefixes = scratch.LocalPrefixes[local];
            _first.Mark(word, prefixes, scratch.FirstBits);
            _second.Mark(word, prefixes, scratch.SecondBits);
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
                return ThresholdNode.IsSatisfied((ComparisonOperator)op.Comparison, op.A, scratch.Upvotes);
            case OpKind.Like:
                {
                    var like = _likes[op.A].Node;
                    return like.Holds(scratch.Vector(like.Query.Statistics));
                }

            case OpKind.Not:
                return !Holds(index + 1, scratch);
            case OpKind.And:
                {
                    var operand = index + 1;
                    for (var i = 0; i < op.A; i++)
                    {
                        if (!Holds(operand, scratch))
                        {
                            return false;
                        }

                        operand += _ops[operand].Size;
                    }

                    return true;
                }

            default:
                {
                    var operand = index + 1;
                    for (var i = 0; i < op.A; i++)
                    {
                        if (Holds(operand, scratch))
                        {
                            return true;
                        }

                        operand += _ops[operand].Size;
                    }

                    return false;
                }
        }
    }

    /// <summary>Gathers what a node known to hold matched, by the rules of <see cref="RuleEvaluator"/>.</summary>
    private void Collect(int index, Scratch scratch)
    {
        ref readonly var op = ref _ops[index];
        switch (op.Kind)
        {
            case OpKind.Word:
                AddPerField(scratch.WordFields[op.A] & op.Fields, op.A, scratch.Collected);
                break;
            case OpKind.Prefix:
                for (var k = scratch.PrefixHead[op.A] - 1; k >= 0; k = scratch.PrefixWordNext[k] - 1)
                {
                    var local = scratch.PrefixWordLocal[k];
                    AddPerField(scratch.LocalFields[local] & op.Fields, scratch.TextReference(local), scratch.Collected);
                }

                break;
            case OpKind.Phrase:
                PhraseOccurs(op.A, op.Fields, scratch, collect: true);
                break;
            case OpKind.Like:
                foreach (var word in _likes[op.A].WordIds)
                {
                    AddPerField(scratch.WordFields[word] & op.Fields, word, scratch.Collected);
                }

                break;
            case OpKind.And or OpKind.Or:
                {
                    var operand = index + 1;
                    for (var i = 0; i < op.A; i++)
                    {
                        // An AND that holds gives all its operands; an OR only those that hold.
                        if (op.Kind == OpKind.And || Holds(operand, scratch))
                        {
                            Collect(operand, scratch);
                        }

                        operand += _ops[operand].Size;
                    }

                    break;
                }
        }
    }

    /// <summary>Adds a matched word per field bit, as a code: text reference times 4 plus the field.</summary>
    private static void AddPerField(int fields, int text, List<int> collected)
    {
        for (var field = 0; field < 3; field++)
        {
            if ((fields & (1 << field)) != 0)
            {
                collected.Add((text << 2) | field);
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
        var first = scratch.VocabularyLocal[words[0]];
        var found = false;
        for (var field = 0; field < 3; field++)
        {
            if ((candidateFields & (1 << field)) == 0)
            {
                continue;
            }

            // Walk the occurrences of the phrase's first word instead of the whole field.
            var tokens = scratch.FieldTokens[field];
            var next = scratch.FieldNext[field];
            var count = scratch.FieldTokenCount[field];
            for (var start = scratch.LocalFirst[field][first] - 1; start >= 0 && start + length <= count; start = next[start] - 1)
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
                int text;
                if (_phraseText[phrase] is not null)
                {
                    text = _words.Length + phrase;
                }
                else
                {
                    var parts = new string[length];
                    for (var i = 0; i < length; i++)
                    {
                        parts[i] = scratch.LocalText[tokens[start + i]];
                    }

                    text = scratch.Output.AddText(string.Join(' ', parts));
                }

                scratch.Collected.Add((text << 2) | field);
            }
        }

        return found;
    }

    /// <summary>Whether the phrase continues at <paramref name="start"/>, where its first word is known to be.</summary>
    private static bool PhraseAt(int[] words, int prefix, int[] tokens, int start, Scratch scratch)
    {
        for (var i = 1; i < words.Length; i++)
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

    /// <summary>Sorts the collected codes by field then text, and moves the distinct ones to the front; returns those.</summary>
    private static Span<int> SortDistinct(Span<int> codes, Output output)
    {
        // Insertion sort: a match rarely has more than a handful of words.
        for (var i = 1; i < codes.Length; i++)
        {
            var code = codes[i];
            var j = i - 1;
            while (j >= 0 && output.Compare(codes[j], code) > 0)
            {
                codes[j + 1] = codes[j];
                j--;
            }

            codes[j + 1] = code;
        }

        var distinct = Math.Min(1, codes.Length);
        for (var i = 1; i < codes.Length; i++)
        {
            if (output.Compare(codes[i], codes[distinct - 1]) != 0)
            {
                codes[distinct++] = codes[i];
            }
        }

        return codes[..distinct];
    }

    /// <summary>
    /// The ordinal rank of each text of the index (vocabulary words, then phrases; equal texts share a rank, a prefix
    /// phrase's missing text ranks last), so matched words of the index sort by integers instead of string comparisons.
    /// </summary>
    private static int[] RankTexts(string?[] texts)
    {
        var order = new int[texts.Length];
        var keys = new string[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            (order[i], keys[i]) = (i, texts[i] ?? "\uffff");
        }

        Array.Sort(keys, order, StringComparer.Ordinal);
        var ranks = new int[texts.Length];
        for (var i = 0; i < order.Length; i++)
        {
            ranks[order[i]] = i > 0 && string.Equals(texts[order[i]], texts[order[i - 1]], StringComparison.Ordinal)
                ? ranks[order[i - 1]]
                : i;
        }

        return ranks;
    }

    /// <summary>Rules by anchor word and by anchor prefix, as compressed rows (start offsets, then rule ids).</summary>
    private sealed class Postings
    {
        private readonly int[] _wordStart;
        private readonly int[] _wordRules;
        private readonly int[] _prefixStart;
        private readonly int[] _prefixRules;

        public Postings(AnchorList anchors, int wordCount, int prefixCount)
        {
            (_wordStart, _wordRules) = Build(anchors, isPrefix: 0, wordCount);
            (_prefixStart, _prefixRules) = Build(anchors, isPrefix: 1, prefixCount);
        }

        /// <summary>Sets the bits of the rules filed under a paper word (a vocabulary id, or -1) and under its prefixes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Mark(int word, int[] prefixes, ulong[] bits)
        {
            if (word >= 0)
            {
                for (var k = _wordStart[word]; k < _wordStart[word + 1]; k++)
                {
                    var rule = _wordRules[k];
                    bits[rule >> 6] |= 1UL << rule;
                }
            }

            foreach (var prefix in prefixes)
            {
                for (var k = _prefixStart[prefix]; k < _prefixStart[prefix + 1]; k++)
                {
                    var rule = _prefixRules[k];
                    bits[rule >> 6] |= 1UL << rule;
                }
            }
        }

        // A counting sort by key; the anchors were added in rule order, so each row lists its rules in order.
        private static (int[] Start, int[] Rules) Build(AnchorList anchors, int isPrefix, int keyCount)
        {
            var (keys, owners, count) = (anchors.Keys, anchors.Rules, anchors.Count);
            var start = new int[keyCount + 1];
            for (var i = 0; i < count; i++)
            {
                if ((keys[i] & 1) == isPrefix)
                {
                    start[(keys[i] >> 1) + 1]++;
                }
            }

            for (var i = 0; i < keyCount; i++)
            {
                start[i + 1] += start[i];
            }

            var rules = new int[start[keyCount]];
            var fill = (int[])start.Clone();
            for (var i = 0; i < count; i++)
            {
                if ((keys[i] & 1) == isPrefix)
                {
                    rules[fill[keys[i] >> 1]++] = owners[i];
                }
            }

            return (start, rules);
        }
    }

    internal enum OpKind : byte
    {
        Word,
        Prefix,
        Phrase,
        Threshold,
        Like,
        Not,
        And,
        Or,
    }

    /// <summary>
    /// One compiled node, 16 bytes. Operands follow their operation (prefix order); <see cref="Size"/> is the length of
    /// the whole subtree, to step over it. Word: A = word id. Prefix: A = prefix id. Phrase: A = phrase id.
    /// Threshold: A = value. And/Or: A = operand count. Fields: the field bits a term searches.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal readonly struct Op(OpKind kind, int fields, int a, ComparisonOperator comparison = default)
    {
        public readonly OpKind Kind = kind;
        public readonly byte Fields = (byte)fields;
        public readonly byte Comparison = (byte)comparison;
        public readonly int A = a;
        public readonly int Size = 1;

        public Op WithSize(int size) => new(this, size);

        private Op(Op op, int size)
            : this(op.Kind, op.Fields, op.A, (ComparisonOperator)op.Comparison) => Size = size;
    }

    /// <summary>
    /// The matches of one call, packed into integer arrays that hold no references (a batch can have a million
    /// matches, and the collector neither traces nor, once they are large, copies such arrays). A match is a rule,
    /// a paper and a range of word codes; a code is a text reference times 4 plus the field, where the text is a
    /// vocabulary word, a phrase of the index, or a string this call added.
    /// </summary>
    private sealed class Output(RuleIndex owner, IReadOnlyList<Paper> papers) : IReadOnlyList<RuleMatch>, IMatchedWordSource
    {
        private const int Stride = 3;

        // Copied now, so the answers do not change if the caller later changes its list.
        private readonly string[] _paperIds = [.. papers.Select(paper => paper.Id)];

        private readonly List<string> _texts = [];
        private int[] _matches = new int[Stride * 1024];
        private int[] _codes = new int[4096];
        private int _codeCount;

        public int Count { get; private set; }

        public RuleMatch this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
                var rule = _matches[index * Stride];
                var start = _matches[(index * Stride) + 2];
                var end = index + 1 < Count ? _matches[((index + 1) * Stride) + 2] : _codeCount;
                return new RuleMatch(owner._ruleIds[rule], owner._ownerIds[rule], _paperIds[_matches[(index * Stride) + 1]], new MatchedWordList(this, start, end - start));
            }
        }

        public void Add(int rule, int paper, ReadOnlySpan<int> codes)
        {
            if ((Count + 1) * Stride > _matches.Length)
            {
                Array.Resize(ref _matches, GrownSize(_matches.Length, (Count + 1) * Stride, paper));
            }

            if (_codeCount + codes.Length > _codes.Length)
            {
                Array.Resize(ref _codes, GrownSize(_codes.Length, _codeCount + codes.Length, paper));
            }

            var at = Count * Stride;
            _matches[at] = rule;
            _matches[at + 1] = paper;
            _matches[at + 2] = _codeCount;
            codes.CopyTo(_codes.AsSpan(_codeCount));
            _codeCount += codes.Length;
            Count++;
        }

        /// <summary>
        /// The next size of an array that must hold <paramref name="needed"/> items while paper <paramref name="paper"/> of the
        /// batch is matched: what the papers so far project for the whole batch, so a large batch copies its matches
        /// once or twice instead of a dozen times (each copy of a large array is garbage the collector must reclaim).
        /// </summary>
        private int GrownSize(int current, int needed, int paper)
        {
            var projected = (long)needed * _paperIds.Length / (paper + 1) * 9 / 8;
            return (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(current * 3L / 2, projected)));
        }

        /// <summary>Adds a string that is not a word or phrase of the index; returns its text reference.</summary>
        public int AddText(string text)
        {
            _texts.Add(text);
            return owner._words.Length + owner._phraseText.Length + _texts.Count - 1;
        }

        public string Text(int code)
        {
            var reference = code >> 2;
            var words = owner._words;
            if (reference < words.Length)
            {
                return words[reference];
            }

            reference -= words.Length;
            return reference < owner._phraseText.Length ? owner._phraseText[reference]! : _texts[reference - owner._phraseText.Length];
        }

        /// <summary>Orders codes by field, then by text (ordinal), as <see cref="MatchedWord"/> does.</summary>
        public int Compare(int left, int right)
        {
            if (left == right)
            {
                return 0;
            }

            var byField = (left & 3) - (right & 3);
            if (byField != 0)
            {
                return byField;
            }

            var ranks = owner._textRank;
            var (leftReference, rightReference) = (left >> 2, right >> 2);
            return leftReference < ranks.Length && rightReference < ranks.Length
                ? ranks[leftReference] - ranks[rightReference]
                : string.CompareOrdinal(Text(left), Text(right));
        }

        public MatchedWord MatchedWordAt(int index)
        {
            var code = _codes[index];
            return new MatchedWord((PaperField)(code & 3), Text(code));
        }

        public IEnumerator<RuleMatch> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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
        private char[] _buffer = new char[64];
        private Paper? _paper;
        private (CorpusStatistics Statistics, PaperVector Vector)? _vector;

        public Scratch(RuleIndex index, Output output)
        {
            _index = index;
            Output = output;
            _localLookup = _localIds.GetAlternateLookup<ReadOnlySpan<char>>();
            _prefixLookup = index._prefixIds.GetAlternateLookup<ReadOnlySpan<char>>();
            FirstBits = new ulong[(index._roots.Length + 63) >> 6];
            SecondBits = new ulong[FirstBits.Length];
            Candidates = new int[index._roots.Length];
            WordFields = new byte[index._words.Length];
            VocabularyLocal = new int[index._words.Length];
            PrefixFields = new byte[index._prefixes.Length];
            PrefixHead = new int[index._prefixes.Length];
        }

        /// <summary>Per local word: its vocabulary id or -1.</summary>
        public int[] LocalWord { get; private set; } = new int[1024];

        /// <summary>Per local word: the ids of the rule prefixes it starts with.</summary>
        public int[][] LocalPrefixes { get; private set; } = new int[1024][];

        public string[] LocalText { get; private set; } = new string[1024];

        /// <summary>Per local word: the field bits it occurs in, in the current paper.</summary>
        public byte[] LocalFields { get; private set; } = new byte[1024];

        /// <summary>Per field, per local word: 1 + the position of its first occurrence in the current paper, or 0.</summary>
        public int[][] LocalFirst { get; } = [new int[1024], new int[1024], new int[1024]];

        /// <summary>Per field, per local word: 1 + the position of its last occurrence so far, or 0 (to link the next one).</summary>
        private int[][] LocalLast { get; } = [new int[1024], new int[1024], new int[1024]];

        /// <summary>Per vocabulary word: its local id, once the batch has met it.</summary>
        public int[] VocabularyLocal { get; }

        /// <summary>Per vocabulary word: the field bits it occurs in, in the current paper.</summary>
        public byte[] WordFields { get; }

        /// <summary>Per prefix: the field bits where a word starting with it occurs, in the current paper.</summary>
        public byte[] PrefixFields { get; }

        /// <summary>Per prefix: 1 + the first entry of its list of the current paper's words that start with it, or 0.</summary>
        public int[] PrefixHead { get; }

        /// <summary>Entries of the per-prefix word lists: the local word.</summary>
        public int[] PrefixWordLocal { get; private set; } = new int[256];

        /// <summary>Entries of the per-prefix word lists: 1 + the next entry, or 0.</summary>
        public int[] PrefixWordNext { get; private set; } = new int[256];

        /// <summary>Per field: local word ids in text order; -1 separates authors.</summary>
        public int[][] FieldTokens { get; } = [new int[64], new int[512], new int[64]];

        /// <summary>Per field, per position: 1 + the position of the next occurrence of the same word, or 0.</summary>
        public int[][] FieldNext { get; } = [new int[64], new int[512], new int[64]];

        public int[] FieldTokenCount { get; } = new int[3];

        /// <summary>The distinct local words of the current paper.</summary>
        public int[] PaperWords { get; private set; } = new int[512];

        public int PaperWordCount { get; private set; }

        public int Upvotes { get; private set; }

        /// <summary>The candidate rules of the current paper, in order.</summary>
        public int[] Candidates { get; }

        /// <summary>Sink for the look-ahead reads, so the compiler keeps them.</summary>
        public int Touched { get; set; }

        /// <summary>One bit per rule: the paper has one of the rule's first anchors.</summary>
        public ulong[] FirstBits { get; }

        /// <summary>One bit per rule: the paper has one of the rule's second anchors.</summary>
        public ulong[] SecondBits { get; }

        /// <summary>The codes of the words the rule being collected matched (see <see cref="Output"/>).</summary>
        public List<int> Collected { get; } = [];

        public Output Output { get; }

        /// <summary>Per local word: 1 + its text reference in <see cref="Output"/>, once it has one; 0 before.</summary>
        private int[] LocalTextReference { get; set; } = new int[1024];

        /// <summary>The text reference of a paper word (its vocabulary id when it has one).</summary>
        public int TextReference(int local)
        {
            if (LocalWord[local] >= 0)
            {
                return LocalWord[local];
            }

            if (LocalTextReference[local] == 0)
            {
                LocalTextReference[local] = Output.AddText(LocalText[local]) + 1;
            }

            return LocalTextReference[local] - 1;
        }

        /// <summary>The current paper's tf-idf vector, for <c>like:</c> terms: made at most once per paper.</summary>
        public PaperVector Vector(CorpusStatistics statistics)
        {
            if (_vector is not { } cached || !ReferenceEquals(cached.Statistics, statistics))
            {
                cached = (statistics, PaperVector.Create(statistics, _paper!));
                _vector = cached;
            }

            return cached.Vector;
        }

        public void Load(Paper paper)
        {
            _paper = paper;
            _vector = null;
            Upvotes = paper.Upvotes;
            PaperWordCount = 0;
            FieldTokenCount[0] = 0;
            FieldTokenCount[1] = 0;
            FieldTokenCount[2] = 0;
            Tokenize(paper.Title, 0);
            Tokenize(paper.Abstract, 1);
            for (var i = 0; i < paper.Authors.Count; i++)
            {
                if (i > 0)
                {
                    Append(2, -1);
                }

                Tokenize(paper.Authors[i], 2);
            }

            var entries = 0;
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
                    if (entries == PrefixWordLocal.Length)
                    {
                        PrefixWordLocal = Grow(PrefixWordLocal, entries * 2);
                        PrefixWordNext = Grow(PrefixWordNext, entries * 2);
                    }

                    PrefixWordLocal[entries] = local;
                    PrefixWordNext[entries] = PrefixHead[prefix];
                    PrefixHead[prefix] = ++entries;
                }
            }
        }

        public void Unload()
        {
            for (var i = 0; i < PaperWordCount; i++)
            {
                var local = PaperWords[i];
                LocalFields[local] = 0;
                for (var field = 0; field < 3; field++)
                {
                    LocalFirst[field][local] = 0;
                    LocalLast[field][local] = 0;
                }

                var word = LocalWord[local];
                if (word >= 0)
                {
                    WordFields[word] = 0;
                }

                foreach (var prefix in LocalPrefixes[local])
                {
                    PrefixFields[prefix] = 0;
                    PrefixHead[prefix] = 0;
                }
            }
        }

        private void Tokenize(string? text, int field)
        {
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
                var position = Append(field, local);
                var last = LocalLast[field][local];
                if (last == 0)
                {
                    LocalFirst[field][local] = position + 1;
                }
                else
                {
                    FieldNext[field][last - 1] = position + 1;
                }

                LocalLast[field][local] = position + 1;
            }

            _buffer = scanner.Buffer;
        }

        private int Append(int field, int local)
        {
            var tokens = FieldTokens[field];
            var position = FieldTokenCount[field];
            if (position == tokens.Length)
            {
                Array.Resize(ref tokens, tokens.Length * 2);
                FieldTokens[field] = tokens;
                var next = FieldNext[field];
                Array.Resize(ref next, tokens.Length);
                FieldNext[field] = next;
            }

            tokens[position] = local;
            FieldNext[field][position] = 0;
            FieldTokenCount[field] = position + 1;
            return position;
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
                LocalTextReference = Grow(LocalTextReference, size);
                for (var field = 0; field < 3; field++)
                {
                    LocalFirst[field] = Grow(LocalFirst[field], size);
                    LocalLast[field] = Grow(LocalLast[field], size);
                }
            }

            var vocabularyId = _index._vocabulary.GetValueOrDefault(text, -1);
            LocalWord[local] = vocabularyId;
            if (vocabularyId >= 0)
            {
                VocabularyLocal[vocabularyId] = local;
            }

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
