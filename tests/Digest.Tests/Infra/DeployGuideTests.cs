using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Shouldly;

namespace Digest.Tests.Infra;

/// <summary>
/// The README's deploy guide, followed as written up to the point where an Azure subscription is needed: its marked
/// blocks are taken from README.md and run by bash in the repository, and what they promise must exist.
/// </summary>
public sealed class DeployGuideTests
{
    private static readonly string Repository = Path.GetDirectoryName(CompiledMainTemplate.AssemblyMetadata("InfraFolder"))!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact(Timeout = 600_000)]
    [Trait("Category", "Slow")]
    public async Task LocalSteps_RunAsWritten_PublishBothAppsCompileTheTemplateAndBuildTheTeamsPackage()
    {
        await RunAsync(Block("local"), new Dictionary<string, string>());

        var deploy = Path.Combine(Repository, "artifacts", "deploy");
        using (var functions = ZipFile.OpenRead(Path.Combine(deploy, "functions.zip")))
        {
            var entries = functions.Entries.Select(entry => entry.FullName).ToList();
            entries.ShouldContain("host.json");
            entries.ShouldContain("functions.metadata");
        }

        using (var bot = ZipFile.OpenRead(Path.Combine(deploy, "bot.zip")))
        {
            bot.Entries.Select(entry => entry.FullName).ShouldContain("Digest.Bot.dll");
        }

        File.Exists(Path.Combine(Repository, "artifacts", "infra", "main.json")).ShouldBeTrue();

        var appId = Guid.NewGuid().ToString();
        await RunAsync(Block("teams-package"), new Dictionary<string, string> { ["BOT_APP_ID"] = appId, ["BOT_HOST"] = "digest-bot.azurewebsites.net" });
        using var teams = ZipFile.OpenRead(Path.Combine(Repository, "bot", "manifest", "build", "digest-teams-app.zip"));
        teams.Entries.Select(entry => entry.FullName).ShouldBe(["manifest.json", "color.png", "outline.png"], ignoreOrder: true);
        using var manifest = new StreamReader(teams.GetEntry("manifest.json")!.Open());
        var text = await manifest.ReadToEndAsync(Cancel);
        text.ShouldContain(appId);
        text.ShouldContain("digest-bot.azurewebsites.net");
    }

    // The bash block that follows <!-- deploy-guide:NAME --> in README.md.
    private static string Block(string name)
    {
        var readme = File.ReadAllText(Path.Combine(Repository, "README.md"));
        var match = Regex.Match(readme, $@"<!-- deploy-guide:{Regex.Escape(name)} -->\s*```bash\n(?<code>.*?)```", RegexOptions.Singleline);
        match.Success.ShouldBeTrue($"README.md has no bash block marked deploy-guide:{name}");
        return match.Groups["code"].Value;
    }

    private static async Task RunAsync(string script, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Repository, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-euo");
        start.ArgumentList.Add("pipefail");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        // The test host's own MSBuild and test-platform settings would steer the dotnet commands of the script.
        foreach (var variable in start.Environment.Keys.Where(key => key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(variable);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancel);
        var error = process.StandardError.ReadToEndAsync(Cancel);
        await process.WaitForExitAsync(Cancel);
        process.ExitCode.ShouldBe(0, $"the deploy guide's commands failed:\n{await output}\n{await error}");
    }
}
