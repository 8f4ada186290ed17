using Digest.Papers;

namespace Digest.Rules;

public sealed partial class RuleIndex
{
    /// <summary>
    /// One worker's memory for a call. Words of the batch get local ids once (so each distinct word is looked up in the
    /// vocabulary and probed for prefixes once per worker and batch); the per-paper arrays are cleared word by word after each paper.
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

        public Scratch(RuleIndex index)
        {
            _index = index;
            Texts = new TextTable(index);
            _localLookup = _localIds.GetAlternateLookup<ReadOnlySpan<char>>();
            _prefixLookup = index._prefixIds.GetAlternateLookup<ReadOnlySpan<char>>();
            FirstBits = new ulong[(index._roots.Length + 63) >> 6];
            SecondBits = new ulong[FirstBits.Length];
            Candidates = new int[Math.Min(index._roots.Length + 64, 4096)];
            CandidateRoots = new int[Candidates.Length];
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
        /// <remarks>Sized for a few thousand and grown when a paper has more, rather than one slot per rule for
        /// every worker of every call: a paper is a candidate for a few percent of the rules.</remarks>
        public int[] Candidates { get; private set; }

        /// <summary>Where the block of each candidate of <see cref="Candidates"/> starts.</summary>
        public int[] CandidateRoots { get; private set; }

        /// <summary>Makes room for at least <paramref name="count"/> candidates, keeping those listed.</summary>
        public void GrowCandidates(int count)
        {
            var size = Math.Max(count, Candidates.Length * 2);
            Candidates = Grow(Candidates, size);
            CandidateRoots = Grow(CandidateRoots, size);
        }

        /// <summary>Sink for the look-ahead reads, so the compiler keeps them.</summary>
        public int Touched { get; set; }

        /// <summary>One bit per rule: the paper has one of the rule's first anchors.</summary>
        public ulong[] FirstBits { get; }

        /// <summary>One bit per rule: the paper has one of the rule's second anchors.</summary>
        public ulong[] SecondBits { get; }

        /// <summary>The texts of this worker's matched words.</summary>
        public TextTable Texts { get; }

        /// <summary>Per local word: 1 + its text reference in <see cref="Texts"/>, once it has one; 0 before.</summary>
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
                LocalTextReference[local] = Texts.Add(LocalText[local]) + 1;
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
