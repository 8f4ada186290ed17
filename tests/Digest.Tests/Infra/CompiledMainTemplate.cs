using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Shouldly;

namespace Digest.Tests.Infra;

/// <summary>
/// infra/main.bicep compiled to ARM JSON by the Bicep CLI of the NuGet package (the one infra/build.sh uses), once per
/// test class. Compiling here rather than reading a file a script left behind means the tests always judge the
/// templates as they are, and fail loudly when the CLI or the template is missing.
/// </summary>
public sealed class CompiledMainTemplate : IAsyncLifetime
{
    private const string UserAssignedIdentityType = "Microsoft.ManagedIdentity/userAssignedIdentities";

    /// <summary>The compiled template as text, for searches that must not depend on where a value sits.</summary>
    public string Text { get; private set; } = "";

    public ArmTemplate Main { get; private set; } = null!;

    /// <summary>The ARM expression (brackets stripped) naming the one user-assigned identity main.bicep creates.</summary>
    public string IdentityNameExpression { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var start = new ProcessStartInfo(AssemblyMetadata("BicepPath"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["build", Path.Combine(AssemblyMetadata("InfraFolder"), "main.bicep"), "--stdout"])
        {
            start.ArgumentList.Add(argument);
        }

        using var bicep = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var output = bicep.StandardOutput.ReadToEndAsync(cancellationToken);
        var diagnostics = bicep.StandardError.ReadToEndAsync(cancellationToken);
        await bicep.WaitForExitAsync(cancellationToken);
        if (bicep.ExitCode != 0 || (await diagnostics).Length > 0)
        {
            throw new InvalidOperationException($"bicep build exited with {bicep.ExitCode}:{Environment.NewLine}{await diagnostics}");
        }

        Text = await output;
        Main = new ArmTemplate(JsonNode.Parse(Text)!.AsObject(), Deployment: null);
        var identities = Main.Resources.Where(resource => resource.Type == UserAssignedIdentityType).ToList();
        identities.Count.ShouldBe(1, "main.bicep creates the one user-assigned identity every app uses");
        IdentityNameExpression = ArmTemplate.StripBrackets(identities[0].String("name"));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Every template: main and, depth first, the modules it deploys.</summary>
    public IEnumerable<ArmTemplate> AllTemplates() => Main.SelfAndModules();

    public IEnumerable<ArmResource> AllResources(string type) =>
        AllTemplates().SelectMany(template => template.Resources).Where(resource => resource.Type == type);

    /// <summary>
    /// True when <paramref name="expression"/>, in <paramref name="template"/>, reads <paramref name="property"/> of the
    /// identity main.bicep creates: the module takes the identity's name (or the property itself) as a parameter and main
    /// passes exactly that identity.
    /// </summary>
    public bool IsIdentityProperty(ArmTemplate template, string expression, string property)
    {
        if (template.ParameterValue(ParameterName(expression)) is { } passed)
        {
            return passed == $"[reference(resourceId('{UserAssignedIdentityType}', {IdentityNameExpression}), '2023-01-31').{property}]";
        }

        var match = Regex.Match(
            expression, $@"^\[reference\(resourceId\('{UserAssignedIdentityType}', parameters\('(\w+)'\)\), '[0-9-]+'\)\.{property}\]$");
        return match.Success && IsIdentityName(template, match.Groups[1].Value);
    }

    /// <summary>True when the module parameter <paramref name="parameterName"/> is given the name of main's identity.</summary>
    public bool IsIdentityName(ArmTemplate template, string parameterName) =>
        template.ParameterValue(parameterName) == $"[{IdentityNameExpression}]";

    private static string ParameterName(string expression)
    {
        var match = Regex.Match(expression, @"^\[parameters\('(\w+)'\)\]$");
        return match.Success ? match.Groups[1].Value : "";
    }

    internal static string AssemblyMetadata(string key) =>
        typeof(CompiledMainTemplate).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The test assembly has no '{key}' metadata: see Digest.Tests.csproj.");
}
