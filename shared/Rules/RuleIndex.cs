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
/// <para>Each rule is compiled into a contiguous block of 8-byte operations in prefix order (an operation is followed by
/// its operands), words are integer ids, and the matches of a call are packed into integer arrays that hold no references,
/// so a batch with a million matches costs the garbage collector almost nothing.</para>
/// <para>A batch of 16 papers or more is cut into runs of consecutive papers matched on all cores at once; the papers
/// are independent, so this changes neither the answers nor their order.</para>
/// </remarks>
public sealed partial class RuleIndex
{
    private const int AllFields = 0b111;
    private const int Lookahead = 8;

    /// <summary>
    /// The fewest papers worth a run of their own on another core: at 100,000 rules a paper takes about half a
    /// millisecond, so 8 papers outweigh handing a run to the thread pool and giving a worker its scratch many times over.
    /// </summary>
    private const int MinPapersPerChunk = 8;

    /// <summary>Runs per core when a batch is cut up, so the cores finish close together even when one is slowed by other work.</summary>
    private const int ChunksPerCore = 4;

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
    public IReadOnlyList<RuleMatch> Match(IReadOnlyList<Paper> papers) => Match(papers, useAnchors: true, MinPapersPerChunk);

    /// <summary>The same answers as <see cref="Match(IReadOnlyList{Paper})"/>, evaluating every rule on every paper: the baseline the index is measured against.</summary>
    internal IReadOnlyList<RuleMatch> MatchEveryRule(IReadOnlyList<Paper> papers) => Match(papers, useAnchors: false, MinPapersPerChunk);

    /// <summary>The same answers as <see cref="Match(IReadOnlyList{Paper})"/>, with the batch cut into chunks of as few as
    /// <paramref name="minPapersPerChunk"/> papers: lets tests take the parallel path with small batches.</summary>
    internal IReadOnlyList<RuleMatch> Match(IReadOnlyList<Paper> papers, int minPapersPerChunk) => Match(papers, useAnchors: true, minPapersPerChunk);

    private Output Match(IReadOnlyList<Paper> papers, bool useAnchors, int minPapersPerChunk)
    {
        ArgumentNullException.ThrowIfNull(papers);

        // Copied now, so the answers do not change if the caller later changes its papers.
        var paperIds = new string[papers.Count];
        for (var p = 0; p < paperIds.Length; p++)
        {
            paperIds[p] = papers[p].Id;
        }

        // Papers are independent, so a large batch is cut into runs of consecutive papers matched on all cores; each
        // run writes its own part of the output, and the parts in order are the answer in order. A worker keeps its
        // scratch (and the words it has met) from run to run. More runs than cores, so a core slowed by other work
        // does not hold up the rest.
        var chunkCount = Environment.ProcessorCount == 1
            ? 1
            : Math.Clamp(paperIds.Length / Math.Max(1, minPapersPerChunk), 1, Environment.ProcessorCount * ChunksPerCore);
        var parts = new OutputPart[chunkCount];
        if (chunkCount == 1)
        {
            parts[0] = MatchRun(papers, 0, paperIds.Length, useAnchors, new Scratch(this));
        }
        else
        {
            Parallel.For(
                0,
                chunkCount,
                new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                () => new Scratch(this),
                (chunk, _, scratch) =>
                {
                    var (start, end) = (ChunkStart(chunk, chunkCount, paperIds.Length), ChunkStart(chunk + 1, chunkCount, paperIds.Length));
                    parts[chunk] = MatchRun(papers, start, end, useAnchors, scratch);
                    return scratch;
                },
                _ => { });
        }

        return new Output(paperIds, parts);
    }

    private static int ChunkStart(int chunk, int chunkCount, int paperCount) => (int)((long)chunk * paperCount / chunkCount);

    /// <summary>Matches papers <paramref name="start"/> to <paramref name="end"/> (excluded) of the batch.</summary>
    private OutputPart MatchRun(IReadOnlyList<Paper> papers, int start, int end, bool useAnchors, Scratch scratch)
    {
        var part = new OutputPart(this, scratch.Texts, start, end);
        for (var p = start; p < end; p++)
        {
            scratch.Load(papers[p]);
            part.StartPaper(p);
            if (useAnchors)
            {
                GatherCandidates(scratch);

                // Candidates are bits, so a rule reached through several words counts once, and the rules are
                // evaluated in order: their compiled blocks are read front to back, and the matches come out sorted.
                // Each candidate's block offset is looked up here, in a tight loop over ascending rules, rather than
                // one miss at a time while evaluating.
                var candidates = scratch.Candidates;
                var candidateRoots = scratch.CandidateRoots;
                var roots = _roots;
                var count = 0;
                for (var w = 0; w < _alwaysChecked.Length; w++)
                {
                    if (count + 64 > candidates.Length)
                    {
                        scratch.GrowCandidates(count + 64);
                        (candidates, candidateRoots) = (scratch.Candidates, scratch.CandidateRoots);
                    }

                    var word = TakeCandidates(scratch, w);
                    while (word != 0)
                    {
                        var rule = (w << 6) + BitOperations.TrailingZeroCount(word);
                        candidates[count] = rule;
                        candidateRoots[count++] = roots[rule];
                        word &= word - 1;
                    }
                }

                // Reading a candidate's first operation a few candidates ahead lets the processor fetch its block
                // while the current one is evaluated: evaluation waits on memory more than it computes.
                var ops = _ops;
                var touched = 0;
                for (var c = 0; c < count; c++)
                {
                    if (c + Lookahead < count)
                    {
                        touched += ops[candidateRoots[c + Lookahead]].Size;
                    }

                    EvaluateRule(candidates[c], candidateRoots[c], scratch, part);
                }

                scratch.Touched += touched;
            }
            else
            {
                for (var rule = 0; rule < _roots.Length; rule++)
                {
                    EvaluateRule(rule, _roots[rule], scratch, part);
                }
            }

            scratch.Unload();
        }

        return part;
    }

    /// <summary>How many rules the index evaluates for <paramref name="papers"/> in all (for the benchmark's report).</summary>
    internal long CountCandidates(IReadOnlyList<Paper> papers)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var scratch = new Scratch(this);
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
    private void EvaluateRule(int rule, int root, Scratch scratch, OutputPart part)
    {
        // The words are gathered while the rule is evaluated, straight into the output, in one walk of its block;
        // a rule that does not hold takes its words back.
        var codeStart = part.CodeCount;
        if (Evaluate(root, scratch, part))
        {
            part.AddMatch(rule, codeStart);
        }
        else
        {
            part.CodeCount = codeStart;
        }
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
                return PhraseOccurs(op.A, op.Fields, scratch, part: null);
            case OpKind.Threshold:
                return ThresholdNode.IsSatisfied(op.Comparison, op.A, scratch.Upvotes);
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

    /// <summary>
    /// Whether a node holds, adding what it matched to <paramref name="part"/>'s codes by the rules of <see cref="RuleEvaluator"/>:
    /// an AND gives the words of all its operands, an OR those of each operand that holds, a NOT none. When the node
    /// does not hold, what it added is left for the caller to drop. <see cref="Holds"/> is the same without the words,
    /// for what lies under a NOT.
    /// </summary>
    private bool Evaluate(int index, Scratch scratch, OutputPart part)
    {
        ref readonly var op = ref _ops[index];
        switch (op.Kind)
        {
            case OpKind.Word:
                {
                    var fields = scratch.WordFields[op.A] & op.Fields;
                    part.AddPerField(fields, op.A);
                    return fields != 0;
                }

            case OpKind.Prefix:
                {
                    if ((scratch.PrefixFields[op.A] & op.Fields) == 0)
                    {
                        return false;
                    }

                    for (var k = scratch.PrefixHead[op.A] - 1; k >= 0; k = scratch.PrefixWordNext[k] - 1)
                    {
                        var local = scratch.PrefixWordLocal[k];
                        var fields = scratch.LocalFields[local] & op.Fields;
                        if (fields != 0)
                        {
                            part.AddPerField(fields, scratch.TextReference(local));
                        }
                    }

                    return true;
                }

            case OpKind.Phrase:
                return PhraseOccurs(op.A, op.Fields, scratch, part);
            case OpKind.Threshold:
                return ThresholdNode.IsSatisfied(op.Comparison, op.A, scratch.Upvotes);
            case OpKind.Like:
                {
                    var like = _likes[op.A];
                    if (!like.Node.Holds(scratch.Vector(like.Node.Query.Statistics)))
                    {
                        return false;
                    }

                    foreach (var word in like.WordIds)
                    {
                        part.AddPerField(scratch.WordFields[word] & op.Fields, word);
                    }

                    return true;
                }

            case OpKind.Not:
                return !Holds(index + 1, scratch);
            case OpKind.And:
                {
                    var operand = index + 1;
                    for (var i = 0; i < op.A; i++)
                    {
                        if (!Evaluate(operand, scratch, part))
                        {
                            return false;
                        }

                        operand += _ops[operand].Size;
                    }

                    return true;
                }

            default:
                {
                    // Every operand is evaluated, not only up to the first that holds: each one that holds gives its words.
                    var holds = false;
                    var operand = index + 1;
                    for (var i = 0; i < op.A; i++)
                    {
                        var codeStart = part.CodeCount;
                        if (Evaluate(operand, scratch, part))
                        {
                            holds = true;
                        }
                        else
                        {
                            part.CodeCount = codeStart;
                        }

                        operand += _ops[operand].Size;
                    }

                    return holds;
                }
        }
    }

    /// <summary>Whether the phrase occurs in one of <paramref name="fields"/>; with a <paramref name="part"/>, adds every occurrence to its codes.</summary>
    private bool PhraseOccurs(int phrase, int fields, Scratch scratch, OutputPart? part)
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

                if (part is null)
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

                    text = scratch.Texts.Add(string.Join(' ', parts));
                }

                part.AddCode((text << 2) | field);
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
    /// One compiled node, 8 bytes: matching a batch waits on reading the blocks of the candidate rules more than on
    /// anything else, so the smaller a block, the fewer cache lines a rule costs. Operands follow their operation
    /// (prefix order); <see cref="Size"/> is the length of the whole subtree, to step over it (a rule of at most
    /// <see cref="RuleParser.MaxLength"/> characters has far fewer than 65,536 nodes). Word: A = word id. Prefix:
    /// A = prefix id. Phrase: A = phrase id. Threshold: A = value. And/Or: A = operand count. Fields: the field bits
    /// a term searches (a threshold searches none, so its comparison takes their place).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal readonly struct Op
    {
        public readonly OpKind Kind;
        private readonly byte _fieldsOrComparison;
        private readonly ushort _size;
        public readonly int A;

        public Op(OpKind kind, int fields, int a, ComparisonOperator comparison = default)
        {
            Kind = kind;
            _fieldsOrComparison = (byte)(kind == OpKind.Threshold ? (int)comparison : fields);
            _size = 1;
            A = a;
        }

        private Op(Op op, int size)
        {
            this = op;
            _size = checked((ushort)size);
        }

        /// <summary>The field bits of a term (read without checking the kind: this is the hot path; a threshold has no use for it).</summary>
        public int Fields => _fieldsOrComparison;

        public ComparisonOperator Comparison => (ComparisonOperator)_fieldsOrComparison;

        public int Size => _size;

        public Op WithSize(int size) => new(this, size);
    }
}
