using Digest.Caching;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Caching;

public sealed class RecentMapTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero));

    private RecentMap<string, int> Map(int capacity = 1_000) => new(Window, capacity, _time, StringComparer.Ordinal);

    [Fact]
    public void TryAdd_SameKeyWithinTheWindow_RefusedUntilTwoWindowsPassed()
    {
        var map = Map();
        map.TryAdd("a", 1).ShouldBeTrue();

        map.TryAdd("a", 2).ShouldBeFalse();
        _time.Advance(Window); // a is in the previous generation now: still remembered
        map.TryAdd("a", 3).ShouldBeFalse();
        map.TryGetValue("a", out var value).ShouldBeTrue();
        value.ShouldBe(1);

        _time.Advance(Window);
        map.TryAdd("a", 4).ShouldBeTrue();
    }

    [Fact]
    public void TryAdd_LongIdleThenNew_ForgetsEverythingOlderThanTwoWindows()
    {
        var map = Map();
        map.TryAdd("a", 1).ShouldBeTrue();

        _time.Advance(3 * Window);

        map.TryGetValue("a", out _).ShouldBeFalse();
        map.TryAdd("a", 2).ShouldBeTrue();
    }

    [Fact]
    public void TryAdd_CapacityReachedWithinTheWindow_KeepsTheLastGenerationAndForgetsTheOneBefore()
    {
        var map = Map(capacity: 3);
        foreach (var key in new[] { "a", "b", "c", "d", "e", "f", "g" })
        {
            map.TryAdd(key, 0).ShouldBeTrue();
        }

        // a, b, c filled the first generation, d, e, f the second; g started a third: the first is gone.
        map.TryGetValue("a", out _).ShouldBeFalse();
        map.TryAdd("d", 1).ShouldBeFalse();
        map.TryAdd("g", 1).ShouldBeFalse();
    }

    [Fact]
    public void Set_KnownKey_ReplacesTheValueInEitherGeneration()
    {
        var map = Map();
        map.Set("a", 1);
        _time.Advance(Window);

        map.Set("a", 2);

        map.TryGetValue("a", out var value).ShouldBeTrue();
        value.ShouldBe(2);
    }

    [Fact]
    public void Remove_KeyInThePreviousGeneration_ForgetsIt()
    {
        var map = Map();
        map.Set("a", 1);
        _time.Advance(Window);
        map.Set("b", 2);

        map.Remove("a");

        map.TryGetValue("a", out _).ShouldBeFalse();
        map.TryAdd("a", 3).ShouldBeTrue();
        map.TryGetValue("b", out _).ShouldBeTrue();
    }
}
