using System.Text.RegularExpressions;
using Digest.Delivery;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>Feedback on delivered papers orders the next digest: Azurite, the loopback connector, fake time.</summary>
public sealed partial class FeedbackRankingTests(AzuriteFixture azurite)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_LikedAgentsDislikedDiffusion_NextDigestPutsAgentPapersFirstAndRulesShowTheTerms()
    {
        var start = new DateTimeOffset(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, start, Cancel);
        var scenario = FeedbackScenario.Of(await DeliveryHarness.FixturePapersAsync(start, Cancel));
        await harness.ObserveAsync(scenario.First, start.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, FeedbackScenario.Rules);
        await harness.Notifier.RunAsync(Cancel);

        (scenario.Liked.Count + scenario.Disliked.Count).ShouldBeGreaterThanOrEqualTo(FeedbackRanking.MinimumFeedback, "the fixture's first half needs agent and diffusion papers");
        foreach (var (paper, feedback) in scenario.Liked.Select(paper => (paper, PaperFeedback.Liked)).Concat(scenario.Disliked.Select(paper => (paper, PaperFeedback.Disliked))))
        {
            (await harness.Outbox.RecordFeedbackAsync(key, paper.Id, feedback, start, Cancel)).ShouldBe(FeedbackRecorded.Recorded);
            await harness.Store.UpdateAsync(key, null, current => current with { FeedbackCount = current.FeedbackCount + 1 }, Cancel);
        }

        var messagesBefore = harness.SentTo(conversation).Count;
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        await harness.ObserveAsync(scenario.Second, harness.Time.GetUtcNow(), Cancel);
        await harness.Notifier.RunAsync(Cancel);

        scenario.ShouldBeRankedByTheFeedback([.. harness.SentTo(conversation).Skip(messagesBefore)
            .SelectMany(message => message.Card!["body"]!.AsArray().Where(item => (string?)item!["type"] == "Container"))
            .Select(item => PaperLink().Match((string)item!["items"]![0]!["text"]!).Groups["id"].Value)]);

        var learned = (await harness.Services.GetRequiredService<FeedbackRanking>().LearnedAsync(key, 5, Cancel)).ShouldNotBeNull();
        learned.Positive.ShouldContain(word => word.StartsWith("agent", StringComparison.Ordinal));
        learned.Negative.ShouldContain("diffusion");
    }

    [GeneratedRegex(@"huggingface\.co/papers/(?<id>[^)]+)\)")]
    private static partial Regex PaperLink();
}
