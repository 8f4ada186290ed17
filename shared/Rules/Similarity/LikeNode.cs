using System.Globalization;
using System.Text;

namespace Digest.Rules;

/// <summary>
/// <c>like:2403.12345</c> or <c>like:2403.12345~0.25</c>: papers similar to a stored paper, whose
/// <see cref="SimilarityQuery"/> score is at least <see cref="Threshold"/>. Compares by paper and threshold.
/// </summary>
public sealed class LikeNode : RuleNode
{
    /// <summary>The threshold when a rule sets none: on the corpus of Daily Papers pages, it keeps papers on the
    /// reference paper's own topic and leaves out those that only share its field's common words.</summary>
    public const double DefaultThreshold = 0.1;

    internal LikeNode(SimilarityQuery query, double threshold)
    {
        Query = query;
        Threshold = threshold;
    }

    /// <summary>The reference paper's id.</summary>
    public string PaperId => Query.PaperId;

    /// <summary>The lowest score that matches, above 0 and at most 1.</summary>
    public double Threshold { get; }

    /// <summary>The weighted words of the reference paper.</summary>
    public SimilarityQuery Query { get; }

    private protected override int Precedence => 3;

    /// <summary>Whether a paper with this vector is similar enough.</summary>
    internal bool Holds(PaperVector paper) => Query.Score(paper) >= Threshold;

    public override bool Equals(RuleNode? other) =>
        other is LikeNode like && string.Equals(like.PaperId, PaperId, StringComparison.Ordinal) && like.Threshold.Equals(Threshold);

    public override int GetHashCode() => HashCode.Combine(nameof(LikeNode), PaperId, Threshold);

    internal override void Print(StringBuilder builder)
    {
        builder.Append("like:").Append(PaperId);
        if (!Threshold.Equals(DefaultThreshold))
        {
            builder.Append('~').Append(Threshold.ToString("R", CultureInfo.InvariantCulture));
        }
    }
}
