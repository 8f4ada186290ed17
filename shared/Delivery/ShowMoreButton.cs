using System.Globalization;

namespace Digest.Delivery;

/// <summary>The "show more" button of a capped delivery, on every platform: its title, and the command text it sends back
/// (the command core's <c>more</c> command reads it) naming the batch of held papers it releases.</summary>
public static class ShowMoreButton
{
    public const string CommandName = "more";

    /// <summary>The button for <paramref name="batch"/>, whose click sends <paramref name="next"/> of the
    /// <paramref name="held"/> papers held.</summary>
    public static (string Title, string Command) For(int next, int held, string batch) => (
        next >= held
            ? string.Create(CultureInfo.InvariantCulture, $"Show {held} more")
            : string.Create(CultureInfo.InvariantCulture, $"Show {next} more ({held} waiting)"),
        Command(batch));

    public static string Command(string batch) => $"{CommandName} {batch}";
}
