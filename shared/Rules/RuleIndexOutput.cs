namespace Digest.Rules;

public sealed partial class RuleIndex
{
    /// <summary>
    /// The matches of one call: the parts written by the runs of consecutive papers the batch was cut into, in paper order.
    /// </summary>
    private sealed class Output : IReadOnlyList<RuleMatch>
    {
        private readonly string[] _paperIds;
        private readonly OutputPart[] _parts;

        /// <summary>Per part: how many matches the parts before it hold.</summary>
        private readonly int[] _partStarts;

        public Output(string[] paperIds, OutputPart[] parts)
        {
            (_paperIds, _parts) = (paperIds, parts);
            _partStarts = new int[parts.Length];
            var count = 0;
            for (var i = 0; i < parts.Length; i++)
            {
                _partStarts[i] = count;
                count += parts[i].Count;
            }

            Count = count;
        }

        public int Count { get; }

        public RuleMatch this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);

                // The last part that starts at or before the index holds it (parts before it may be empty).
                var (low, high) = (0, _parts.Length - 1);
                while (low < high)
                {
                    var middle = (low + high + 1) >> 1;
                    if (_partStarts[middle] <= index)
                    {
                        low = middle;
                    }
                    else
                    {
                        high = middle - 1;
                    }
                }

                return _parts[low].MatchAt(index - _partStarts[low], _paperIds);
            }
        }

        public IEnumerator<RuleMatch> GetEnumerator()
        {
            foreach (var part in _parts)
            {
                for (var i = 0; i < part.Count; i++)
                {
                    yield return part.MatchAt(i, _paperIds);
                }
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// The matches of one run of consecutive papers, packed into integer arrays that hold no references (a batch can
    /// have a million matches, and the collector neither traces nor, once they are large, copies such arrays). A match
    /// is a rule, a paper and a range of word codes; a code is a text reference times 4 plus the field (see <see cref="TextTable"/>).
    /// </summary>
    private sealed class OutputPart(RuleIndex owner, TextTable texts, int firstPaper, int endPaper) : IMatchedWordSource
    {
        private const int Stride = 3;

        private int[] _matches = new int[Stride * 256];
        private int[] _codes = new int[1024];
        private int _paper;

        public int Count { get; private set; }

        /// <summary>How many codes the part holds: those of its matches, then those of the rule being evaluated.
        /// Setting it lower drops the codes past it.</summary>
        public int CodeCount { get; set; }

        public RuleMatch MatchAt(int index, string[] paperIds)
        {
            var at = index * Stride;
            var rule = _matches[at];
            var start = _matches[at + 2];
            var end = index + 1 < Count ? _matches[at + Stride + 2] : CodeCount;
            return new RuleMatch(owner._ruleIds[rule], owner._ownerIds[rule], paperIds[_matches[at + 1]], new MatchedWordList(this, start, end - start));
        }

        public void AddCode(int code)
        {
            if (CodeCount == _codes.Length)
            {
                Array.Resize(ref _codes, GrownSize(_codes.Length, CodeCount + 1));
            }

            _codes[CodeCount++] = code;
        }

        /// <summary>Adds a matched word per field bit.</summary>
        public void AddPerField(int fields, int text)
        {
            for (var field = 0; field < 3; field++)
            {
                if ((fields & (1 << field)) != 0)
                {
                    AddCode((text << 2) | field);
                }
            }
        }

        /// <summary>The paper of the batch whose matches come next.</summary>
        public void StartPaper(int paper) => _paper = paper;

        /// <summary>A match of <paramref name="rule"/> on the current paper, whose words are the codes from
        /// <paramref name="codeStart"/> on: they are sorted by field then text, and only the distinct ones are kept.</summary>
        public void AddMatch(int rule, int codeStart)
        {
            CodeCount = codeStart + SortDistinct(_codes.AsSpan(codeStart, CodeCount - codeStart));
            if ((Count + 1) * Stride > _matches.Length)
            {
                Array.Resize(ref _matches, GrownSize(_matches.Length, (Count + 1) * Stride));
            }

            var at = Count * Stride;
            _matches[at] = rule;
            _matches[at + 1] = _paper;
            _matches[at + 2] = codeStart;
            Count++;
        }

        public MatchedWord MatchedWordAt(int index)
        {
            var code = _codes[index];
            return new MatchedWord((PaperField)(code & 3), texts.Text(code));
        }

        /// <summary>Sorts codes by field then text, and moves the distinct ones to the front; returns how many there are.</summary>
        private int SortDistinct(Span<int> codes)
        {
            // Insertion sort: a match rarely has more than a handful of words.
            for (var i = 1; i < codes.Length; i++)
            {
                var code = codes[i];
                var j = i - 1;
                while (j >= 0 && texts.Compare(codes[j], code) > 0)
                {
                    codes[j + 1] = codes[j];
                    j--;
                }

                codes[j + 1] = code;
            }

            var distinct = Math.Min(1, codes.Length);
            for (var i = 1; i < codes.Length; i++)
            {
                if (texts.Compare(codes[i], codes[distinct - 1]) != 0)
                {
                    codes[distinct++] = codes[i];
                }
            }

            return distinct;
        }

        /// <summary>
        /// The next size of an array that must hold <paramref name="needed"/> items: what the papers of the run so far
        /// project for the whole run, so a large run copies its matches once or twice instead of a dozen times (each
        /// copy of a large array is garbage the collector must reclaim).
        /// </summary>
        private int GrownSize(int current, int needed)
        {
            var projected = (long)needed * (endPaper - firstPaper) / (_paper - firstPaper + 1) * 9 / 8;
            return (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(current * 3L / 2, projected)));
        }
    }

    /// <summary>
    /// The texts the codes of one worker's matches refer to: a vocabulary word of the index, a phrase of the index, or a
    /// string the worker added (a paper word outside the vocabulary matched by a prefix, the words a prefix phrase
    /// matched). A worker's own table, so workers add texts without locks; its parts read it once the call is over.
    /// </summary>
    private sealed class TextTable(RuleIndex owner)
    {
        private readonly List<string> _added = [];

        /// <summary>Adds a string that is not a word or phrase of the index; returns its text reference.</summary>
        public int Add(string text)
        {
            _added.Add(text);
            return owner._words.Length + owner._phraseText.Length + _added.Count - 1;
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
            return reference < owner._phraseText.Length ? owner._phraseText[reference]! : _added[reference - owner._phraseText.Length];
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
    }
}
