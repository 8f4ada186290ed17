using Digest.Papers;

namespace Digest.Tests.Rules;

/// <summary>Builds papers for rule tests.</summary>
internal static class Papers
{
    public static Paper Make(string title, string @abstract = "", IReadOnlyList<string>? authors = null, int upvotes = 0, string id = "2403.00001") =>
        new(id, title, @abstract, authors ?? [], upvotes, new DateOnly(2024, 3, 13));
}
