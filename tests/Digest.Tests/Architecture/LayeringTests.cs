using System.Reflection;
using NetArchTest.Rules;
using Shouldly;

namespace Digest.Tests.Architecture;

/// <summary>The layers of <c>shared/</c> (docs/architecture.md): each may use the ones below it, never one above it, and
/// the folders of one layer never use each other in a circle.</summary>
public sealed class LayeringTests
{
    private static readonly Assembly Shared = typeof(Digest.Storage.DigestStorage).Assembly;

    /// <summary>Bottom to top; a layer is the namespaces listed (each with the namespaces below it).</summary>
    private static readonly string[][] LayerNamespaces =
    [
        ["Digest.Storage", "Digest.Telemetry", "Digest.Http", "Digest.Caching"],
        ["Digest.Sources", "Digest.Snapshots", "Digest.Parsing", "Digest.Papers", "Digest.Rules", "Digest.Crawling"],
        ["Digest.Subscriptions"],
        ["Digest.Platforms"],
        ["Digest.Delivery"],
        ["Digest.Conversation"],
        ["Digest.FrontEnds"],
        ["Digest.Steps"],
    ];

    public static TheoryData<int> Layers { get; } = [.. Enumerable.Range(0, LayerNamespaces.Length - 1)];


    [Theory]
    [MemberData(nameof(Layers))]
    public void Layer_UsesNoLayerAboveIt(int layer)
    {
        var above = LayerNamespaces.Skip(layer + 1).SelectMany(names => names).ToArray();

        foreach (var name in LayerNamespaces[layer])
        {
            var offenders = Types.InAssembly(Shared).That().ResideInNamespace(name).Should().NotHaveDependencyOnAny(above).GetResult().FailingTypeNames ?? [];
            offenders.ShouldBeEmpty($"{name} (layer {layer}) uses a layer above it");
        }
    }

    [Fact]
    public void Platforms_DoNotUseEachOther()
    {
        var teams = Types.InAssembly(Shared).That().ResideInNamespace("Digest.Platforms.Teams").Should().NotHaveDependencyOn("Digest.Platforms.Slack").GetResult();
        var slack = Types.InAssembly(Shared).That().ResideInNamespace("Digest.Platforms.Slack").Should().NotHaveDependencyOn("Digest.Platforms.Teams").GetResult();
        (teams.FailingTypeNames ?? []).ShouldBeEmpty();
        (slack.FailingTypeNames ?? []).ShouldBeEmpty();
    }

    [Fact]
    public void CrawlFolders_UseEachOtherInNoCircle()
    {
        var folders = LayerNamespaces[1];
        var uses = folders.ToDictionary(folder => folder, folder => folders.Where(other => other != folder && Uses(folder, other)).ToList());
        uses["Digest.Crawling"].ShouldContain("Digest.Papers", "the check must see the dependencies that do exist");
        foreach (var folder in folders)
        {
            Reachable(folder, uses).ShouldNotContain(folder, $"{folder} reaches itself through {string.Join(", ", uses[folder])}");
        }
    }

    private static bool Uses(string folder, string other) =>
        !Types.InAssembly(Shared).That().ResideInNamespace(folder).Should().NotHaveDependencyOn(other).GetResult().IsSuccessful;

    private static HashSet<string> Reachable(string start, Dictionary<string, List<string>> uses)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(uses[start]);
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var further in uses[next])
                {
                    pending.Push(further);
                }
            }
        }

        return seen;
    }
}
