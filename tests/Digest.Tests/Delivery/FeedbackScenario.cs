using Digest.Papers;
using Shouldly;

namespace Digest.Tests.Delivery;

/// <summary>The fixture's papers split for a feedback test: agent papers (liked), diffusion papers that are not about
/// agents (disliked), each kind in both halves, so that feedback on the first half can reorder the second.</summary>
public sealed class FeedbackScenario
{
    /// <summary>The rules that match both kinds.</summary>
    public static readonly string[] Rules = ["agent*", "diffusion"];

    private FeedbackScenario(IReadOnlyList<Paper> first, IReadOnlyList<Paper> second)
    {
        First = first;
        Second = second;
    }

    /// <summary>Papers delivered first, which get the feedback.</summary>
    public IReadOnlyList<Paper> First { get; }

    /// <summary>Papers of the next digest, which the feedback orders.</summary>
    public IReadOnlyList<Paper> Second { get; }

    /// <summary>First-half papers to like: the agent papers the rules match.</summary>
    public IReadOnlyList<Paper> Liked => [.. First.Where(IsAgents).Where(Matched)];

    /// <summary>First-half papers to dislike: the other diffusion papers the rules match.</summary>
    public IReadOnlyList<Paper> Disliked => [.. First.Where(IsDiffusion).Where(Matched)];

    // What each rule alone matches (title or abstract): the agent papers, and the diffusion papers not about agents.
    public static bool IsAgents(Paper paper) => DeliveryHarness.Expected([paper], "agent*").Count > 0;

    public static bool IsDiffusion(Paper paper) => DeliveryHarness.Expected([paper], "diffusion").Count > 0 && !IsAgents(paper);

    private static bool Matched(Paper paper) => DeliveryHarness.Expected([paper], Rules).Count > 0;

    /// <summary>Each kind in both halves: every other agent paper, every other diffusion paper, the rest alternately.</summary>
    public static FeedbackScenario Of(IReadOnlyList<Paper> papers)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var first = papers.GroupBy(paper => IsAgents(paper) ? 0 : IsDiffusion(paper) ? 1 : 2).SelectMany(group => group.Where((_, index) => index % 2 == 0)).ToList();
        return new FeedbackScenario(first, [.. papers.Except(first)]);
    }

    /// <summary>Checks the order of the second digest (paper ids as sent): every agent paper before every diffusion
    /// paper, where the order without feedback (found together, so by id) mixes them.</summary>
    public void ShouldBeRankedByTheFeedback(IReadOnlyList<string> order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var byId = Second.ToDictionary(paper => paper.Id);
        var agents = order.Select((id, index) => (id, index)).Where(entry => IsAgents(byId[entry.id])).Select(entry => entry.index).ToList();
        var diffusion = order.Select((id, index) => (id, index)).Where(entry => IsDiffusion(byId[entry.id])).Select(entry => entry.index).ToList();
        agents.ShouldNotBeEmpty();
        diffusion.ShouldNotBeEmpty();
        var unranked = order.Order(StringComparer.Ordinal).ToList();
        unranked.FindIndex(id => IsDiffusion(byId[id])).ShouldBeLessThan(unranked.FindLastIndex(id => IsAgents(byId[id])), "the test needs an order the ranking changes");
        agents.Max().ShouldBeLessThan(diffusion.Min());
    }
}
