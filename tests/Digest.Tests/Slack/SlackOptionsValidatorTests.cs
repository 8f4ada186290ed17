using Digest.Platforms.Slack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Slack is enabled by its signing secret, and then needs a way to send; bad values say what to fix.</summary>
public sealed class SlackOptionsValidatorTests
{
    private static string[] Failures(Dictionary<string, string?> settings)
    {
        using var provider = SlackTestServices.Create(settings);
        var failure = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SlackOptions>>().Value);
        return [.. failure.Failures];
    }

    private static SlackOptions Valid(Dictionary<string, string?> settings)
    {
        using var provider = SlackTestServices.Create(settings);
        return provider.GetRequiredService<IOptions<SlackOptions>>().Value;
    }

    [Fact]
    public void Validate_NoSlackSettings_IsValidAndDisabled()
    {
        Valid([]).Enabled.ShouldBeFalse();
    }

    [Fact]
    public void Validate_OAuthTrio_IsValid()
    {
        var options = Valid(SlackTestServices.OAuthSettings());

        options.Enabled.ShouldBeTrue();
        options.UsesOAuth.ShouldBeTrue();
        options.ApiBaseUrl.ShouldBe(new Uri("https://slack.com/api/"));
    }

    [Fact]
    public void Validate_BotTokenAlone_IsValid()
    {
        var options = Valid(new() { ["Slack:SigningSecret"] = SlackTestServices.SigningSecret, ["Slack:BotToken"] = "xoxb-1-2-abc" });

        options.UsesOAuth.ShouldBeFalse();
    }

    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "Slack:ClientSecret", null, "missing Slack:ClientSecret" },
        { "Slack:TokenEncryptionKey", null, "missing Slack:TokenEncryptionKey" },
        { "Slack:TokenEncryptionKey", Convert.ToBase64String(new byte[16]), "Slack:TokenEncryptionKey must be base64 of exactly 32 random bytes" },
        { "Slack:TokenEncryptionKey", "not base64 at all!", "Slack:TokenEncryptionKey must be base64 of exactly 32 random bytes" },
        { "Slack:ClientId", "my-app", "Slack:ClientId must be the app's client id as Slack shows it" },
        { "Slack:BotToken", "xoxb-1-2-abc", "Set either Slack:BotToken (one workspace) or Slack:ClientId" },
        { "Slack:SigningSecret", "short", "Slack:SigningSecret must be the app's signing secret" },
        { "Slack:ApiBaseUrl", "http://slack.example/api/", "Slack:ApiBaseUrl must be an absolute https URL ending with '/'" },
        { "Slack:ApiBaseUrl", "https://slack.com/api", "Slack:ApiBaseUrl must be an absolute https URL ending with '/'" },
        { "Slack:AllowedResponseUrls:0", "http://hooks.example/", "Slack:AllowedResponseUrls entry 'http://hooks.example/' must be an absolute https URL" },
        { "Slack:AttemptTimeout", "00:00:00", "AttemptTimeout" },
        { "Slack:MaxRetries", "11", "MaxRetries" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Validate_BadSetting_SaysWhatToFix(string key, string? value, string message)
    {
        Failures(SlackTestServices.OAuthSettings((key, value))).ShouldHaveSingleItem().ShouldContain(message);
    }

    [Fact]
    public void Validate_EnabledWithoutAnyWayToSend_ListsWhatIsMissing()
    {
        Failures(new() { ["Slack:SigningSecret"] = SlackTestServices.SigningSecret }).ShouldHaveSingleItem()
            .ShouldContain("set Slack:BotToken (one workspace) or all of Slack:ClientId, Slack:ClientSecret and Slack:TokenEncryptionKey (OAuth installs); missing Slack:ClientId, Slack:ClientSecret, Slack:TokenEncryptionKey");
    }

    [Fact]
    public void Validate_BotTokenThatIsNotABotToken_SaysSo()
    {
        Failures(new() { ["Slack:SigningSecret"] = SlackTestServices.SigningSecret, ["Slack:BotToken"] = "xoxp-user-token" })
            .ShouldHaveSingleItem().ShouldContain("Slack:BotToken must be a bot token (it starts with xoxb-");
    }

    [Fact]
    public void Validate_OtherSettingsWithoutSigningSecret_AsksForTheSigningSecret()
    {
        Failures(new() { ["Slack:BotToken"] = "xoxb-1-2-abc" }).ShouldHaveSingleItem()
            .ShouldContain("Slack:SigningSecret is required when any other Slack setting is set");
    }

    [Fact]
    public void AddDigestSlackPlatform_ResolvesEveryBuildingBlock()
    {
        using var provider = SlackTestServices.Create(SlackTestServices.OAuthSettings());

        provider.GetRequiredService<SlackRequestVerifier>().ShouldNotBeNull();
        provider.GetRequiredService<SlackWebApiClient>().ShouldNotBeNull();
        provider.GetRequiredService<BlockKitRenderer>().ShouldNotBeNull();
        provider.GetRequiredService<SlackTokenProtector>().ShouldNotBeNull();
        provider.GetRequiredService<OAuthStateSigner>().ShouldNotBeNull();
    }
}
