using System.Net;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>Configuration is checked at start-up with messages that name the setting; unauthenticated use only in Development.</summary>
public sealed class BotStartupTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    private Dictionary<string, string?> Configuration() => BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString);

    [Theory]
    [InlineData("Bot:AppId", "", "Production", "Bot:AppId is required")]
    [InlineData("Bot:AppId", "not-a-guid", "Production", "Bot:AppId must be the bot's Microsoft App ID, a GUID.")]
    [InlineData("Bot:TenantId", "", "Production", "Bot:TenantId must be the GUID")]
    [InlineData("Bot:AppPassword", "", "Production", "Bot:AppPassword is required for a SingleTenant bot")]
    [InlineData("Bot:AppType", "MultiTenant", "Production", "AppType")]
    [InlineData("Bot:OpenIdMetadataUrls:BotFramework", "http://login.example/keys", "Production", "Bot:OpenIdMetadataUrls:BotFramework must use https")]
    [InlineData("Bot:AllowedServiceUrls:1", "https://user@host.example", "Production", "Bot:AllowedServiceUrls entry 'https://user@host.example' is not valid")]
    [InlineData("Storage:NamePrefix", "bad-name!", "Production", "Storage:NamePrefix must be at most 20 lower-case letters and digits")]
    public async Task Start_InvalidConfiguration_FailsNamingTheSetting(string key, string value, string environment, string expected)
    {
        var configuration = Configuration();
        configuration[key] = value;

        var failure = await Should.ThrowAsync<Exception>(async () => await BotTestHost.StartAsync(configuration, Cancel, environment));

        var messages = failure is OptionsValidationException validation ? string.Join(" | ", validation.Failures) : failure.ToString();
        messages.ShouldContain(expected);
    }

    [Fact]
    public async Task Start_ManagedIdentityWithPassword_Fails()
    {
        var configuration = Configuration();
        configuration["Bot:AppType"] = "UserAssignedMSI";

        var failure = await Should.ThrowAsync<OptionsValidationException>(async () => await BotTestHost.StartAsync(configuration, Cancel));

        failure.Failures.ShouldContain(message => message.Contains("Bot:AppPassword must be empty for a UserAssignedMSI bot", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Development_WithoutAppId_AcceptsUnauthenticatedRequests()
    {
        var configuration = Configuration();
        configuration["Bot:AppId"] = "";
        configuration["Bot:AppPassword"] = "";
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel, environment: "Development");
        var conversation = TestActivities.PersonalConversationId();

        using var response = await bot.PostAsync(TestActivities.Message("playground", _connector.ServiceUrl, conversation, "help").ToJsonString(), token: null, Cancel);
        var reply = await _connector.NextAsync(Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        reply.Authorization.ShouldBeNull(); // no credentials, so no token is sent either
        reply.Card.ShouldNotBeNull();
    }

    [Fact]
    public async Task Development_WithoutAppId_StillRefusesServiceUrlsNotAllowListed()
    {
        var configuration = Configuration();
        configuration["Bot:AppId"] = "";
        configuration["Bot:AppPassword"] = "";
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel, environment: "Development");

        using var response = await bot.PostAsync(TestActivities.Message("playground", "https://attacker.example/", TestActivities.PersonalConversationId(), "help").ToJsonString(), token: null, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Production_WithAppId_RequiresToken()
    {
        await using var bot = await BotTestHost.StartAsync(Configuration(), Cancel);

        using var response = await bot.PostAsync(TestActivities.Message(_identity.AppId, _connector.ServiceUrl, TestActivities.PersonalConversationId(), "help").ToJsonString(), token: null, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
