namespace Digest.Rules;

/// <summary>
/// Builds <see cref="RuleIndex"/>es and keeps every rule compiled between builds, so the notifier, which builds one index
/// per run over the rules of the subscriptions due, compiles only the rules that are new since the last runs: a build
/// over rules it has seen copies their compiled blocks and files them under their anchors, and a build over exactly the
/// rules of the build before returns that index again (an index is immutable). Safe to share between threads.
/// </summary>
/// <remarks>
/// Rules are recognized by their text (<see cref="Rule.Text"/>): the parser gives equal rules for equal texts, except
/// <c>like:</c> rules, whose query depends on the corpus: those are compiled at every build (they are few). Words,
/// prefixes and phrases get their ids once, for the cache's lifetime. A rule left out of
/// <see cref="MaxIdleBuilds"/> builds in a row is forgotten (and compiled again if it comes back), so rules deleted by
/// their subscribers do not pile up.
/// </remarks>
public sealed class RuleIndexCache
{
    /// <summary>How many builds in a row a rule may be missing from before it is forgotten.</summary>
    public const int MaxIdleBuilds = 1_000;

    private readonly Lock _gate = new();
    private readonly RuleIndex.Compiler _compiler;
    private readonly Dictionary<string, Entry> _compiled = new(StringComparer.Ordinal);
    private long _builds;
    private (IndexedRule[] Rules, RuleIndex Index)? _last;

    /// <param name="frequencies">Word frequencies of recent papers, to file rules under their rarest words; optional.</param>
    public RuleIndexCache(WordFrequencies? frequencies = null) => _compiler = new RuleIndex.Compiler(frequencies);

    /// <summary>How many compiled rules the cache holds.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _compiled.Count;
            }
        }
    }

    /// <summary>An index of <paramref name="rules"/>, exactly as <see cref="RuleIndex.Build"/> would build it.</summary>
    /// <param name="rules">The rules; ids need not be unique, each entry is matched on its own.</param>
    public RuleIndex Build(IEnumerable<IndexedRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var given = rules as IReadOnlyList<IndexedRule> ?? [.. rules];
        lock (_gate)
        {
            // A run over the very rules of the run before (the common case: nobody changed a rule in between) reuses
            // its index, and copies nothing.
            if (_last is { } last && SameRules(last.Rules, given))
            {
                return last.Index;
            }

            // A copy, which the index and the next build's comparison keep: the caller may change its list afterwards.
            IndexedRule[] all = [.. given];
            var compiled = new RuleIndex.CompiledRule[all.Length];
            var build = ++_builds;
            for (var i = 0; i < all.Length; i++)
            {
                ArgumentNullException.ThrowIfNull(all[i]);
                var rule = all[i].Rule;
                if (rule.HasSimilarity)
                {
                    // Its query depends on the corpus it was parsed with, not only on its text.
                    compiled[i] = _compiler.Compile(rule);
                    continue;
                }

                if (!_compiled.TryGetValue(rule.Text, out var entry))
                {
                    entry = new Entry(_compiler.Compile(rule));
                    _compiled.Add(rule.Text, entry);
                }

                entry.LastBuild = build;
                compiled[i] = entry.Rule;
            }

            if (build % 64 == 0)
            {
                Forget(build - MaxIdleBuilds);
            }

            var index = RuleIndex.Create(all, compiled, _compiler.Vocabulary());
            _last = (all, index);
            return index;
        }
    }

    // Same ids, owners and texts in the same order; a like: rule only as the very same parsed rule (its query depends
    // on the corpus it was parsed with).
    private static bool SameRules(IndexedRule[] before, IReadOnlyList<IndexedRule> now)
    {
        if (before.Length != now.Count)
        {
            return false;
        }

        for (var i = 0; i < now.Count; i++)
        {
            var (old, current) = (before[i], now[i]);
            if (current is null || !string.Equals(old.RuleId, current.RuleId, StringComparison.Ordinal)
                || !string.Equals(old.OwnerId, current.OwnerId, StringComparison.Ordinal)
                || !(ReferenceEquals(old.Rule, current.Rule) || (!current.Rule.HasSimilarity && string.Equals(old.Rule.Text, current.Rule.Text, StringComparison.Ordinal))))
            {
                return false;
            }
        }

        return true;
    }

    private void Forget(long before)
    {
        List<string>? idle = null;
        foreach (var (text, entry) in _compiled)
        {
            if (entry.LastBuild < before)
            {
                (idle ??= []).Add(text);
            }
        }

        foreach (var text in idle ?? [])
        {
            _compiled.Remove(text);
        }
    }

    private sealed class Entry(RuleIndex.CompiledRule rule)
    {
        public RuleIndex.CompiledRule Rule { get; } = rule;

        public long LastBuild { get; set; }
    }
}
