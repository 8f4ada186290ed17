using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Connector;
using Digest.Tests.Bot.Loopback;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>The UserAssignedMSI path through Azure.Identity's <c>ManagedIdentityCredential</c>, against a loopback
/// App Service identity endpoint (<c>IDENTITY_ENDPOINT</c> / <c>IDENTITY_HEADER</c>, api-version 2019-08-01).</summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class ManagedIdentityTokenProviderTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetToken_UserAssignedIdentity_AsksForTheBotClientIdAndCaches()
    {
        var appId = Guid.NewGuid().ToString();
        var requests = new ConcurrentQueue<(string? Resource, string? ClientId, string? Header)>();
        var (app, address) = await LoopbackServer.StartAsync(web => web.MapGet("/msi/token", (HttpContext context) =>
        {
            requests.Enqueue((context.Request.Query["resource"], context.Request.Query["client_id"], context.Request.Headers["X-IDENTITY-HEADER"]));
            var expiresOn = TimeProvider.System.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
            return Results.Text(new JsonObject
            {
                ["access_token"] = "msi-token-1",
                ["expires_on"] = expiresOn.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["resource"] = "https://api.botframework.com",
                ["token_type"] = "Bearer",
                ["client_id"] = appId,
            }.ToJsonString(), "application/json");
        }), Cancel);
        await using var _ = app;

        var saved = (Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT"), Environment.GetEnvironmentVariable("IDENTITY_HEADER"));
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", address + "/msi/token");
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", "loopback-identity-header");
        try
        {
            var provider = new ManagedIdentityTokenProvider(Options.Create(new BotOptions { AppId = appId, AppType = BotAppType.UserAssignedMSI }), TimeProvider.System);

            var first = await provider.GetTokenAsync(Cancel);
            var second = await provider.GetTokenAsync(Cancel);

            first.ShouldBe("msi-token-1");
            second.ShouldBe("msi-token-1");
            var (resource, clientId, header) = requests.ShouldHaveSingleItem();
            header.ShouldBe("loopback-identity-header");
            resource.ShouldBe("https://api.botframework.com");
            clientId.ShouldBe(appId);
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", saved.Item1);
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", saved.Item2);
        }
    }
}

/// <summary>Tests that set process environment variables run alone.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
