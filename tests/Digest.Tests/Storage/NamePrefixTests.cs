using Digest.Delivery;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Delivery;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Storage;

/// <summary><c>Storage:NamePrefix</c> separates deployments that share one storage account: every table and container.</summary>
public sealed class NamePrefixTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NamePrefix_TwoDeploymentsOnOneAccount_SubscriptionsRulesAndDeliveriesStayApart()
    {
        var first = AzuriteFixture.UniqueName("a")[..13];
        var second = AzuriteFixture.UniqueName("b")[..13];
        await using var deploymentA = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, Deployment(first));
        await using var deploymentB = await DeliveryHarness.StartAsync(azurite, Morning, Cancel, Deployment(second));
        await deploymentA.SeedPapersAsync(Morning.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await deploymentA.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, "agent*");
        (await deploymentA.Notifier.RunAsync(Cancel)).For(key)!.Outcome.ShouldBe(DeliveryOutcome.Sent);
        (await deploymentA.Outbox.ListAsync(key, Cancel)).ShouldNotBeEmpty();

        await deploymentB.Services.GetRequiredService<DigestStorage>().EnsureCreatedAsync(Cancel);

        (await deploymentB.Store.GetAsync(key, Cancel)).ShouldBeNull();
        (await deploymentB.Store.ListRulesAsync(key, Cancel)).ShouldBeEmpty();
        (await deploymentB.Store.ListActiveAsync(Cancel).ToListAsync(Cancel)).ShouldNotContain(subscription => subscription.Key == key);
        (await deploymentB.Outbox.ListAsync(key, Cancel)).ShouldBeEmpty();
        (await deploymentB.Notifier.RunAsync(Cancel)).For(key).ShouldBeNull();
    }

    private static Dictionary<string, string?> Deployment(string prefix) => new(StringComparer.Ordinal)
    {
        ["Storage:NamePrefix"] = prefix,
    };
}
