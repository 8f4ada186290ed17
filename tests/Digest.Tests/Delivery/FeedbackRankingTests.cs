using System.Text.RegularExpressions;
using Digest.Delivery;
using Digest.Papers;
using Digest.Subscriptions;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>Feedback on delivered papers orders the next digest: Azurite, the loopback connector, fake time.</summary>
public sealed partial class FeedbackRankingTests(AzuriteFixture azurite)
{
    private static readonly string[] Rules = ["agent*", "diffusion"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_LikedAgentsDislikedDiffusion_NextDigestPutsAgentPapersFirstAndRulesShowTheTerms()
    {
        var start = new DateTimeOffset(2026, 6, 12, 10, 0, 0, TimeSpan.Zero);
        await using var harness = await DeliveryHarness.StartAsync(azurite, start, Cancel);
        var papers = await DeliveryHarness.FixturePapersAsync(start, Cancel);
        // What each rule alone matches (title or abstract): the agent papers, and the diffusion papers that are not about agents.
        bool IsAgents(Paper paper) => DeliveryHarness.Expected([paper], "agent*").Count > 0;
        bool IsDiffusion(Paper paper) => DeliveryHarness.Expected([paper], "diffusion").Count > 0 && !IsAgents(paper);
        // Each kind of paper in both halves: every other agent paper, every other diffusion paper, the rest alternately.
        var first = papers.GroupBy(paper => IsAgents(paper) ? 0 : IsDiffusion(paper) ? 1 : 2).SelectMany(group => group.Where((_, index) => index % 2 == 0)).ToList();
        var second = papers.Except(first).ToList();
        await harness.ObserveAsync(first, start.AddMinutes(-10), Cancel);
        var conversation = "a:" + Guid.NewGuid().ToString("N");
        var key = await harness.SubscribeAsync(conversation, DeliveryMode.Instant, Cancel, Rules);
        await harness.Notifier.RunAsync(Cancel);

        var liked = first.Where(IsAgents).Where(paper => DeliveryHarness.Expected([paper], Rules).Count > 0).ToList();
        var disliked = first.Where(IsDiffusion).Where(paper => DeliveryHarness.Expected([paper], Rules).Count > 0).ToList();
        (liked.Count + disliked.Count).ShouldBeGreaterThanOrEqualTo(FeedbackRanking.MinimumFeedback, "the fixture's first half needs agent and diffusion papers");
        foreach (var (paper, feedback) in liked.Select(paper => (paper, PaperFeedback.Liked)).Concat(disliked.Select(paper => (paper, PaperFeedback.Disliked))))
        {
            (await harness.Outbox.RecordFeedbackAsync(key, paper.Id, feedback, start, Cancel)).ShouldBe(FeedbackRecorded.Recorded);
            await harness.Store.UpdateAsync(key, null, current => current with { FeedbackCount = current.FeedbackCount + 1 }, Cancel);
        }

        var messagesBefore = harness.SentTo(conversation).Count;
        harness.Time.Advance(TimeSpan.FromMinutes(15));
        await harness.ObserveAsync(second, harness.Time.GetUtcNow(), Cancel);
        await harness.Notifier.RunAsync(Cancel);

        var order = harness.SentTo(conversation).Skip(messagesBefore)
            .SelectMany(message => message.Card!["body"]!.AsArray().Where(item => (string?)item!["type"] == "Container"))
            .Select(item => PaperLink().Match((string)item!["items"]![0]!["text"]!).Groups["id"].Value).ToList();
        var byId = second.ToDictionary(paper => paper.Id);
        var agents = order.Select((id, index) => (id, index)).Where(entry => IsAgents(byId[entry.id])).Select(entry => entry.index).ToList();
        var diffusion = order.Select((id, index) => (id, index)).Where(entry => IsDiffusion(byId[entry.id])).Select(entry => entry.index).ToList();
        agents.ShouldNotBeEmpty();
        diffusion.ShouldNotBeEmpty();
        // Without feedback the digest is in the order the papers were found, then by id: that order mixes them.
        var unranked = order.Order(StringComparer.Ordinal).ToList();
        unranked.FindIndex(id => IsDiffusion(byId[id])).ShouldBeLessThan(unranked.FindLastIndex(id => IsAgents(byId[id])), "the test needs an order the ranking changes");
        agents.Max().ShouldBeLessThan(diffusion.Min());

        var learned = (await harness.Services.GetRequiredService<FeedbackRanking>().LearnedAsync(key, 5, Cancel)).ShouldNotBeNull();
        learned.Positive.ShouldContain(word => word.StartsWith("agent", StringComparison.Ordinal));
        learned.Negative.ShouldContain("diffusion");
    }

    [GeneratedRegex(@"huggingface\.co/papers/(?<id>[^)]+)\)")]
    private static partial Regex PaperLink();
}
