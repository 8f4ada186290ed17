using System.Collections.Concurrent;

namespace Digest.Caching;

/// <summary>
/// What this process saw recently, kept in two generations: entries are added to the current one, and when it is
/// <c>window</c> old, or holds <c>capacity</c> entries, it becomes the previous one and the one before is dropped. An entry
/// is remembered for at least <c>window</c> (unless <c>capacity</c> entries arrive first) and at most twice that.
/// </summary>
/// <remarks>Every operation is O(1), without a lock on the hot path: unlike a dictionary of timestamps pruned by a scan,
/// its cost does not grow with how much it holds, and <c>ConcurrentDictionary.Count</c>, which takes every lock, is never
/// asked.</remarks>
public sealed class RecentMap<TKey, TValue>
    where TKey : notnull
{
    private readonly TimeSpan _window;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly IEqualityComparer<TKey>? _comparer;
    private readonly Lock _rotation = new();
    private Generation _current;
    private Generation _previous;

    public RecentMap(TimeSpan window, int capacity, TimeProvider time, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(time);
        _window = window;
        _capacity = capacity;
        _time = time;
        _comparer = comparer;
        _current = new Generation(time.GetUtcNow(), comparer);
        _previous = new Generation(DateTimeOffset.MinValue, comparer);
    }

    /// <summary>Adds the entry unless one is remembered for the key; true when it was added.</summary>
    public bool TryAdd(TKey key, TValue value)
    {
        var current = Current();
        return !Volatile.Read(ref _previous).Entries.ContainsKey(key) && current.TryAdd(key, value);
    }

    /// <summary>Remembers the entry, replacing any for the key.</summary>
    public void Set(TKey key, TValue value) => Current().Set(key, value);

    /// <summary>The value remembered for the key, if any.</summary>
    public bool TryGetValue(TKey key, out TValue value)
    {
        var current = Current();
        if (current.Entries.TryGetValue(key, out value!))
        {
            return true;
        }

        return Volatile.Read(ref _previous).Entries.TryGetValue(key, out value!);
    }

    /// <summary>Forgets the key.</summary>
    public void Remove(TKey key)
    {
        Current().Entries.TryRemove(key, out _);
        Volatile.Read(ref _previous).Entries.TryRemove(key, out _);
    }

    private Generation Current()
    {
        var now = _time.GetUtcNow();
        var current = Volatile.Read(ref _current);
        if (now - current.Started < _window && current.Count < _capacity)
        {
            return current;
        }

        lock (_rotation)
        {
            current = _current;
            if (now - current.Started >= _window || current.Count >= _capacity)
            {
                // A generation older than two windows holds nothing worth keeping.
                Volatile.Write(ref _previous, now - current.Started >= 2 * _window ? new Generation(DateTimeOffset.MinValue, _comparer) : current);
                current = new Generation(now, _comparer);
                Volatile.Write(ref _current, current);
            }

            return current;
        }
    }

    private sealed class Generation(DateTimeOffset started, IEqualityComparer<TKey>? comparer)
    {
        private int _count;

        public DateTimeOffset Started { get; } = started;

        public ConcurrentDictionary<TKey, TValue> Entries { get; } = new(comparer);

        // Entries added, removals not subtracted: it only decides when to rotate.
        public int Count => Volatile.Read(ref _count);

        public bool TryAdd(TKey key, TValue value)
        {
            if (!Entries.TryAdd(key, value))
            {
                return false;
            }

            Interlocked.Increment(ref _count);
            return true;
        }

        public void Set(TKey key, TValue value)
        {
            if (Entries.TryAdd(key, value))
            {
                Interlocked.Increment(ref _count);
            }
            else
            {
                Entries[key] = value;
            }
        }
    }
}
