namespace Digest.BotLoad;

/// <summary>Percentiles of measured latencies, by nearest rank: the value below which <c>percent</c> of them lie.</summary>
internal static class Percentiles
{
    /// <summary>The <paramref name="percent"/> percentile of <paramref name="sorted"/> (ascending); NaN when it is
    /// empty.</summary>
    public static double Of(double[] sorted, double percent) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
