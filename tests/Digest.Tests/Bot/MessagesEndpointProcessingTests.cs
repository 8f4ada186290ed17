using System.Net;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>An activity is handled within its request: when the channel gets the 200, the work is stored and the answer
/// sent, so a crash after the acknowledgement loses nothing.</summary>
public sealed class MessagesEndpointProcessingTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private BotTestHost _bot = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    [Fact]
    public async Task Message_Acknowledged_IsAlreadyStoredAndAnswered()
    {
        var conversation = TestActivities.PersonalConversationId();

        for (var i = 0; i < 5; i++)
        {
            var before = _connector.All.Count;
            using var response = await _bot.PostAsync(TestActivities.Message(_identity.AppId, _connector.ServiceUrl, conversation, "add agents" + i).ToJsonString(),
                _identity.ChannelToken(_connector.ServiceUrl), Cancel);

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            _connector.All.Count.ShouldBe(before + 1); // answered before the acknowledgement, not after
            (await _bot.Services.GetRequiredService<SubscriptionStore>().ListRulesAsync(ConversationKey.Create("msteams", TestActivities.TenantId, conversation), Cancel))
                .Count.ShouldBe(i + 1);
        }
    }
}
