using Digest.Papers;

namespace Digest.Rules;

/// <summary>A paper a subscription's rules matched, with the words that made them match (shown highlighted).</summary>
public sealed record MatchedPaper(Paper Paper, IReadOnlyList<string> Highlights);
