using Digest.Papers;
using Digest.Rules;

namespace Digest.Platforms.Teams.Cards;

/// <summary>Splits papers into Adaptive Cards that each fit Teams' budget whole: a card never drops a paper into its
/// "…and N more" line.</summary>
public sealed class PaperCardSplitter(AdaptiveCardRenderer cards)
{
    /// <summary>Heading room for the longest heading a part can get ("… (9999 of 9999)").</summary>
    private const string LongestHeadingSuffix = " (9999 of 9999)";

    /// <summary>Room for a card-level button at least as long as any the deliveries add.</summary>
    private static readonly (string Title, string Command) LongestCardButton = (new string('x', 60), new string('x', 80));

    /// <summary>At most <paramref name="maxPerMessage"/> papers per card; a chunk whose card would pass the size
    /// budget with <paramref name="heading"/> (and each paper's <paramref name="buttons"/>) is halved until it fits.</summary>
    public IReadOnlyList<IReadOnlyList<MatchedPaper>> Split(string heading, IReadOnlyList<MatchedPaper> papers, int maxPerMessage, Func<Paper, IReadOnlyList<(string Title, string Command)>>? buttons = null)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var pending = new Stack<List<MatchedPaper>>(papers.Chunk(maxPerMessage).Select(chunk => chunk.ToList()).Reverse());
        var messages = new List<IReadOnlyList<MatchedPaper>>();
        while (pending.TryPop(out var chunk))
        {
            if (chunk.Count > 1 && !FitsWhole(heading, chunk, buttons))
            {
                var half = chunk.Count / 2;
                pending.Push(chunk[half..]);
                pending.Push(chunk[..half]);
            }
            else
            {
                messages.Add(chunk);
            }
        }

        return messages;
    }

    // Measured with room for the card's own button (the "show more" of a capped delivery), which any part may carry.
    private bool FitsWhole(string heading, List<MatchedPaper> chunk, Func<Paper, IReadOnlyList<(string Title, string Command)>>? buttons) =>
        cards.Papers(heading + LongestHeadingSuffix, chunk, buttons: buttons, more: LongestCardButton)["body"]!.AsArray().Count == 1 + chunk.Count;
}
