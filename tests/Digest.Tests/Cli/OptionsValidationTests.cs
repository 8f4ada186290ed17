using Digest.Cli;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Cli;

/// <summary>Bad settings stop both hosts at start-up with a message that says what to fix.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class OptionsValidationTests(AzuriteFixture azurite)
{
    private static readonly string MissingFolder = Path.Combine(Path.GetTempPath(), "digest-no-such-folder-" + Guid.NewGuid().ToString("N"));

    public static TheoryData<string, string, string> BadSettings => new()
    {
        {
            "Storage:ConnectionString", "",
            "Storage:ConnectionString is empty. Use UseDevelopmentStorage=true for Azurite, a storage account connection string, " +
            "or Storage:AccountName (or the three Storage:*ServiceUri) with managed identity."
        },
        {
            "Storage:ConnectionString", "not-a-connection-string",
            "Storage:ConnectionString is not a valid connection string"
        },
        { "Storage:NamePrefix", "Digest_1", "Storage:NamePrefix must be at most 20 lower-case letters and digits, starting with a letter." },
        { "Storage:NamePrefix", "abcdefghijklmnopqrstu", "Storage:NamePrefix must be at most 20 lower-case letters and digits, starting with a letter." },
        { "Sources:Source", MissingFolder, $"Sources:Source \"{MissingFolder}\" is neither an http(s) URL nor an existing folder of saved pages." },
        { "Sources:LookBackDays", "32", "Sources:LookBackDays must be between 0 and 31." },
        { "Sources:LookBackDays", "-1", "Sources:LookBackDays must be between 0 and 31." },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void CreateTimerHost_BadSetting_StartupValidatorReportsWhatToFix(string key, string value, string message)
    {
        using var host = DigestHost.CreateTimerHost(Settings(key, value));

        var failure = Should.Throw<OptionsValidationException>(() => DigestHost.ValidateOptions(host.Services));

        failure.Failures.ShouldHaveSingleItem().ShouldContain(message);
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void CreateCommandHost_BadSetting_StartupValidatorReportsWhatToFix(string key, string value, string message)
    {
        using var host = DigestHost.CreateCommandHost(Settings(key, value), LogLevel.Warning);

        var failure = Should.Throw<OptionsValidationException>(() => DigestHost.ValidateOptions(host.Services));

        failure.Failures.ShouldHaveSingleItem().ShouldContain(message);
    }

    [Fact]
    public async Task StartAsync_TimerHostWithBadSetting_FailsBeforeAnyFunctionRuns()
    {
        using var host = DigestHost.CreateTimerHost(Settings("Sources:Source", MissingFolder));

        var failure = await Should.ThrowAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        failure.Message.ShouldContain(MissingFolder);
    }

    [Fact]
    public void CreateCommandHost_GoodSettings_Validate()
    {
        using var host = DigestHost.CreateCommandHost(Settings("Sources:LookBackDays", "31"), LogLevel.Warning);

        Should.NotThrow(() => DigestHost.ValidateOptions(host.Services));
    }

    [Fact]
    public void CreateCommandHost_EnvironmentVariable_IsReadAndOverridesWin()
    {
        // Process-wide, but only hosts read it, and every test that builds one is in this collection.
        Environment.SetEnvironmentVariable("Storage__NamePrefix", "From_Environment");
        try
        {
            var settings = Settings("Sources:LookBackDays", "1");
            settings.Remove("Storage:NamePrefix");
            using var fromEnvironment = DigestHost.CreateCommandHost(settings, LogLevel.Warning);
            Should.Throw<OptionsValidationException>(() => DigestHost.ValidateOptions(fromEnvironment.Services))
                .Failures.ShouldHaveSingleItem().ShouldContain("Storage:NamePrefix must be");

            using var overridden = DigestHost.CreateCommandHost(Settings("Storage:NamePrefix", "fromoverrides"), LogLevel.Warning);
            Should.NotThrow(() => DigestHost.ValidateOptions(overridden.Services));
        }
        finally
        {
            Environment.SetEnvironmentVariable("Storage__NamePrefix", null);
        }
    }

    private Dictionary<string, string?> Settings(string key, string value) => new(StringComparer.Ordinal)
    {
        ["Storage:ConnectionString"] = azurite.ConnectionString,
        ["Storage:NamePrefix"] = "v" + Guid.NewGuid().ToString("N")[..12],
        ["Sources:Source"] = Path.GetDirectoryName(TestData.CorpusFiles[0]),
        [key] = value,
    };
}
