using Digest.FrontEnds.Slack;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The durable log of Slack events on Azurite: an event is handled once; a failed handler lets the retry in at
/// once, a crashed one after the lease.</summary>
public sealed class SlackEventLogTests(AzuriteFixture azurite)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 6, 12, 8, 0, 0, TimeSpan.Zero));

    private SlackEventLog Log() => new(azurite.NewStorage(), Options.Create(new SlackFrontEndOptions { EventLease = TimeSpan.FromMinutes(1), EventRetention = TimeSpan.FromDays(1) }), _time);

    [Fact]
    public async Task TryClaim_Completed_IsNeverClaimedAgain()
    {
        var log = Log();

        (await log.TryClaimAsync("EvDONE1", Cancel)).ShouldBeTrue();
        await log.CompleteAsync("EvDONE1", Cancel);
        _time.Advance(TimeSpan.FromHours(1));

        (await log.TryClaimAsync("EvDONE1", Cancel)).ShouldBeFalse();
    }

    [Fact]
    public async Task TryClaim_BeingHandled_IsRefusedUntilTheLeaseEndsThenTakenOverOnce()
    {
        var log = Log();
        (await log.TryClaimAsync("EvCRASH1", Cancel)).ShouldBeTrue();

        (await log.TryClaimAsync("EvCRASH1", Cancel)).ShouldBeFalse(); // a retry while the first is still at it
        _time.Advance(TimeSpan.FromMinutes(2)); // the first never came back

        var takeovers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => log.TryClaimAsync("EvCRASH1", Cancel)));
        takeovers.Count(claimed => claimed).ShouldBe(1);
    }

    [Fact]
    public async Task Release_LetsTheRetryClaimAtOnce()
    {
        var log = Log();
        (await log.TryClaimAsync("EvFAIL1", Cancel)).ShouldBeTrue();

        await log.ReleaseAsync("EvFAIL1", Cancel);

        (await log.TryClaimAsync("EvFAIL1", Cancel)).ShouldBeTrue();
    }

    [Fact]
    public async Task PruneAsync_EventsPastTheRetention_DeletesThemAndKeepsTheRecentOnes()
    {
        var log = Log();
        (await log.TryClaimAsync("EvOLD1", Cancel)).ShouldBeTrue();
        await log.CompleteAsync("EvOLD1", Cancel);
        (await log.TryClaimAsync("EvOLD2", Cancel)).ShouldBeTrue(); // claimed, its handler never came back
        _time.Advance(TimeSpan.FromHours(23));
        (await log.TryClaimAsync("EvNEW1", Cancel)).ShouldBeTrue();
        await log.CompleteAsync("EvNEW1", Cancel);
        _time.Advance(TimeSpan.FromHours(2));

        (await log.PruneAsync(Cancel)).ShouldBe(2);

        (await log.TryClaimAsync("EvNEW1", Cancel)).ShouldBeFalse(); // still recognised as handled
        (await log.PruneAsync(Cancel)).ShouldBe(0);
    }
}
