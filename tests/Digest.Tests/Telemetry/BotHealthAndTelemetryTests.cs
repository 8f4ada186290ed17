using System.Diagnostics.Metrics;
using System.Net;
using Digest.Bot;
using Digest.FrontEnds.Teams;
using Digest.Telemetry;
using Digest.Tests.Bot;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Shouldly;

namespace Digest.Tests.Telemetry;

/// <summary>The bot's probes and what its endpoint and connector emit, on the real bot wiring (BotTestHost).</summary>
public sealed class BotHealthAndTelemetryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _appId = Guid.NewGuid().ToString();
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(_appId, Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    [Fact]
    public async Task Readyz_StorageAndKeysReachable_Answers200AndHasLoadedTheKeys()
    {
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
        _identity.BotFrameworkKeyFetches.ShouldBe(0);

        using var response = await bot.Client.GetAsync(new Uri(BotHostingExtensions.ReadinessPath, UriKind.Relative), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _identity.BotFrameworkKeyFetches.ShouldBe(1);
    }

    [Fact]
    public async Task Readyz_StorageUnreachable_Answers503AndLivenessStays200()
    {
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, AzuriteFixture.UnreachableConnectionString()), Cancel);

        using var ready = await bot.Client.GetAsync(new Uri(BotHostingExtensions.ReadinessPath, UriKind.Relative), Cancel);
        using var live = await bot.Client.GetAsync(new Uri(BotHostingExtensions.LivenessPath, UriKind.Relative), Cancel);

        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        live.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Readyz_SigningKeysUnreachable_Answers503()
    {
        var configuration = BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString);
        configuration["Bot:OpenIdMetadataUrls:BotFramework"] = new Uri(_identity.BaseAddress, "/no-such-metadata").ToString();
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel);

        using var ready = await bot.Client.GetAsync(new Uri(BotHostingExtensions.ReadinessPath, UriKind.Relative), Cancel);

        ready.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Readyz_SigningKeysBackAfterAnOutage_Answers200Again()
    {
        _identity.KeysDown = true;
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel);
        using (var down = await bot.Client.GetAsync(new Uri(BotHostingExtensions.ReadinessPath, UriKind.Relative), Cancel))
        {
            down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        }

        // A failed first read is tried again after a short backoff, not after the 12-hour refresh interval.
        _identity.KeysDown = false;
        var status = HttpStatusCode.ServiceUnavailable;
        for (var attempt = 0; attempt < 60 && status != HttpStatusCode.OK; attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), Cancel);
            using var ready = await bot.Client.GetAsync(new Uri(BotHostingExtensions.ReadinessPath, UriKind.Relative), Cancel);
            status = ready.StatusCode;
        }

        status.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task MessagesEndpoint_RequestsAnsweredWithSeveralStatuses_CountedByStatus()
    {
        await using var bot = await BotTestHost.StartAsync(
            BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel,
            configureServices: services => services.AddSingleton<IActivityHandler>(new RecordingActivityHandler()));

        // Bound to this host's meter factory: the bots of tests running alongside count into meters of their own.
        using var requests = new MetricCollector<long>(bot.Services.GetRequiredService<IMeterFactory>(), DigestTelemetry.Name, "digest.bot.requests");
        var message = TestActivities.Message(_appId, _connector.ServiceUrl, TestActivities.PersonalConversationId(), "help").ToJsonString();

        (await bot.PostAsync(message, _identity.ChannelToken(_connector.ServiceUrl), Cancel)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await bot.PostAsync(message, _identity.ChannelToken(_connector.ServiceUrl, audience: "someone-else"), Cancel)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await bot.PostAsync(message, token: null, Cancel)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var get = await bot.Client.GetAsync(new Uri("api/messages", UriKind.Relative), Cancel);
        get.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);

        long Requests(int status) => requests.GetMeasurementSnapshot().Where(measurement => Equals(measurement.Tags[DigestMetrics.StatusCodeTag], status)).Sum(measurement => measurement.Value);
        Requests(200).ShouldBe(1);
        Requests(401).ShouldBe(2);
        Requests(405).ShouldBe(1);
        requests.GetMeasurementSnapshot().Sum(measurement => measurement.Value).ShouldBe(4);
    }
}
