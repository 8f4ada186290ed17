using System.Net;
using System.Text;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Connector;
using Digest.Platforms.Teams.Schema;
using Digest.Tests.Bot.Loopback;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>The outbound client as <c>AddDigestTeamsPlatform</c> wires it (its HTTP pipeline included) against a
/// loopback connector and a loopback OAuth 2 token endpoint.</summary>
public sealed class BotConnectorClientTests : IAsyncLifetime
{
    private readonly string _appId = Guid.NewGuid().ToString();
    private readonly List<IHost> _hosts = [];
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private BotConnectorClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(_appId, Guid.NewGuid().ToString(), Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
        _client = Client(TestIdentityProvider.ClientSecret);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    private BotConnectorClient Client(string secret, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Bot:AppId"] = _appId,
            ["Bot:TenantId"] = _identity.TenantId,
            ["Bot:AppPassword"] = secret,
            ["Bot:TokenEndpoint"] = _identity.TokenEndpoint.ToString(),
            ["Bot:AllowedServiceUrls:0"] = "https://smba.trafficmanager.net",
            ["Bot:AllowedServiceUrls:1"] = _connector.AllowedPattern,
            ["Bot:Connector:AttemptTimeout"] = "00:00:01",
            ["Bot:Connector:RetryBaseDelay"] = "00:00:00.050",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddDigestTeamsPlatform();
        var host = builder.Build();
        _hosts.Add(host);
        return host.Services.GetRequiredService<BotConnectorClient>();
    }

    [Fact]
    public async Task Send_PostsActivityWithTokenFromClientCredentials_AndCachesTheToken()
    {
        const string conversation = "19:abc@thread.tacv2;messageid=1481567603816";

        var first = await _client.SendToConversationAsync(_connector.ServiceUrl, conversation, Activity.CreateText("one"), Cancel);
        await _client.SendToConversationAsync(_connector.ServiceUrl, conversation, Activity.CreateText("two"), Cancel);

        var request = await _connector.NextAsync(Cancel);
        request.Method.ShouldBe("POST");
        request.RawTarget.ShouldBe("/amer/v3/conversations/19%3Aabc%40thread.tacv2%3Bmessageid%3D1481567603816/activities");
        request.Authorization.ShouldBe("Bearer connector-token-1");
        request.Json["type"]!.GetValue<string>().ShouldBe("message");
        request.Text.ShouldBe("one");
        first.Id.ShouldNotBeNullOrEmpty();
        (await _connector.NextAsync(Cancel)).Authorization.ShouldBe("Bearer connector-token-1");
        _identity.TokensIssued.ShouldBe(1);
        var form = _identity.TokenRequests.Single();
        form["grant_type"].ShouldBe("client_credentials");
        form["client_id"].ShouldBe(_appId);
        form["scope"].ShouldBe("https://api.botframework.com/.default");
    }

    [Fact]
    public async Task Send_BodyGoesWithItsLength_NotChunked()
    {
        await _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("ünïcode"), Cancel);

        var request = await _connector.NextAsync(Cancel);
        request.ContentLength.ShouldBe(Encoding.UTF8.GetByteCount(request.Body));
        request.Text.ShouldBe("ünïcode");
    }

    [Fact]
    public async Task ReplyAndUpdate_UseTheActivityRoutes()
    {
        await _client.ReplyToActivityAsync(_connector.ServiceUrl, "a:1", "f:99", Activity.CreateText("reply"), Cancel);
        await _client.UpdateActivityAsync(_connector.ServiceUrl, "a:1", "activity-7", Activity.CreateText("edited"), Cancel);

        var reply = await _connector.NextAsync(Cancel);
        reply.Method.ShouldBe("POST");
        reply.RawTarget.ShouldBe("/amer/v3/conversations/a%3A1/activities/f%3A99");
        reply.Json["replyToId"]!.GetValue<string>().ShouldBe("f:99");
        var update = await _connector.NextAsync(Cancel);
        update.Method.ShouldBe("PUT");
        update.RawTarget.ShouldBe("/amer/v3/conversations/a%3A1/activities/activity-7");
        update.Text.ShouldBe("edited");
    }

    [Fact]
    public async Task CreatePersonalConversation_SendsBotMemberAndTenant()
    {
        var created = await _client.CreatePersonalConversationAsync(_connector.ServiceUrl, "28:" + _appId, TestActivities.UserId, TestActivities.TenantId, Cancel);

        var request = await _connector.NextAsync(Cancel);
        request.RawTarget.ShouldBe("/amer/v3/conversations");
        request.Json["isGroup"]!.GetValue<bool>().ShouldBeFalse();
        request.Json["bot"]!["id"]!.GetValue<string>().ShouldBe("28:" + _appId);
        request.Json["members"]![0]!["id"]!.GetValue<string>().ShouldBe(TestActivities.UserId);
        request.Json["tenantId"]!.GetValue<string>().ShouldBe(TestActivities.TenantId);
        request.Json["channelData"]!["tenant"]!["id"]!.GetValue<string>().ShouldBe(TestActivities.TenantId);
        created.Id!.ShouldStartWith("a:created-");
    }

    [Theory]
    [InlineData("https://attacker.example/amer/")]
    [InlineData("http://smba.trafficmanager.net/amer/")]
    [InlineData("https://smba.trafficmanager.net.evil.com/")]
    public async Task Send_ServiceUrlNotAllowListed_RefusedWithoutAnyRequestOrToken(string serviceUrl)
    {
        var failure = await Should.ThrowAsync<ConnectorException>(() => _client.SendToConversationAsync(serviceUrl, "a:1", Activity.CreateText("x"), Cancel));

        failure.Failure.ShouldBe(ConnectorFailure.ServiceUrlRefused);
        _identity.TokensIssued.ShouldBe(0);
        _connector.All.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(429, "Throttled")]
    [InlineData(412, "PreconditionFailed")]
    [InlineData(502, "ServiceError")]
    [InlineData(503, null)]
    [InlineData(504, null)]
    public async Task Send_TransientFailure_RetriedHonouringRetryAfter(int status, string? code)
    {
        _connector.PlanFailure(status, code, retryAfter: "0");
        _connector.PlanFailure(status, code, retryAfter: "0");

        var sent = await _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel);

        sent.Id!.ShouldStartWith("activity-");
        _connector.All.Count.ShouldBe(3);
    }

    [Fact]
    public async Task Send_ThrottledBeyondRetries_Transient()
    {
        for (var i = 0; i < 4; i++)
        {
            _connector.PlanFailure(429, "Throttled", retryAfter: "0");
        }

        var failure = await Should.ThrowAsync<ConnectorException>(() => _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel));

        failure.Failure.ShouldBe(ConnectorFailure.Transient);
        failure.StatusCode.ShouldBe(429);
        _connector.All.Count.ShouldBe(4);
    }

    [Theory]
    [InlineData(403, "BotNotInConversationRoster", ConnectorFailure.ConversationGone)]
    [InlineData(403, "ConversationBlockedByUser", ConnectorFailure.ConversationGone)]
    [InlineData(404, "ConversationNotFound", ConnectorFailure.ConversationGone)]
    [InlineData(404, "ActivityNotFoundInConversation", ConnectorFailure.ActivityNotFound)]
    [InlineData(401, "BotNotRegistered", ConnectorFailure.Unauthorized)]
    [InlineData(400, "BadArgument", ConnectorFailure.BadRequest)]
    [InlineData(413, "MessageSizeTooBig", ConnectorFailure.BadRequest)]
    [InlineData(500, "ServiceError", ConnectorFailure.ServerError)]
    public async Task Send_TerminalFailure_ClassifiedAndNotRetried(int status, string code, ConnectorFailure expected)
    {
        _connector.PlanFailure(status, code);

        var failure = await Should.ThrowAsync<ConnectorException>(() => _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel));

        failure.Failure.ShouldBe(expected);
        failure.ErrorCode.ShouldBe(code);
        failure.IsTerminalForConversation.ShouldBe(expected == ConnectorFailure.ConversationGone);
        _connector.All.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Send_MessageWritesBlockedBodyWithoutErrorObject_ConversationGone()
    {
        _connector.PlanFailure(403);

        var failure = await Should.ThrowAsync<ConnectorException>(() => _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel));

        failure.Failure.ShouldBe(ConnectorFailure.ConversationGone);
    }

    [Fact]
    public async Task Send_WrongClientSecret_UnauthorizedBeforeAnySend()
    {
        var client = Client("wrong-secret");

        var failure = await Should.ThrowAsync<ConnectorException>(() => client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel));

        failure.Failure.ShouldBe(ConnectorFailure.Unauthorized);
        failure.Message.ShouldContain("AADSTS7000215");
        _connector.All.ShouldBeEmpty();
    }

    [Fact]
    public async Task Send_ConnectorNeverAnswers_TransientAfterOneAttemptTimeoutWithoutRetrying()
    {
        _connector.Script("a:silent", ConnectorAnswer.NoAnswer);

        var failure = await Should.ThrowAsync<ConnectorException>(() => _client.SendToConversationAsync(_connector.ServiceUrl, "a:silent", Activity.CreateText("x"), Cancel));

        // The connector may have posted the message before going silent: a retry could post it twice.
        failure.Failure.ShouldBe(ConnectorFailure.Transient);
        _connector.All.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Send_TokenEndpointFailsOnce_RetriedAndSent()
    {
        _identity.FailNextTokenRequests(1);

        var sent = await _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel);

        sent.Id!.ShouldStartWith("activity-");
        _identity.TokenRequests.Count.ShouldBe(2);
        (await _connector.NextAsync(Cancel)).Authorization.ShouldBe("Bearer connector-token-1");
    }

    [Fact]
    public async Task Send_TokenEndpointDown_TransientNotUnauthorizedAndNothingSent()
    {
        _identity.FailNextTokenRequests(100);

        var failure = await Should.ThrowAsync<ConnectorException>(() => _client.SendToConversationAsync(_connector.ServiceUrl, "a:1", Activity.CreateText("x"), Cancel));

        failure.Failure.ShouldBe(ConnectorFailure.Transient);
        _connector.All.ShouldBeEmpty();
    }

    [Fact]
    public async Task Send_SuccessWithMalformedBody_CountsAsSent()
    {
        _connector.Script("a:odd", new ConnectorAnswer(201, RawBody: "{\"id\": "));

        var sent = await _client.SendToConversationAsync(_connector.ServiceUrl, "a:odd", Activity.CreateText("x"), Cancel);

        sent.Id.ShouldBeNull();
    }

    [Fact]
    public void Classify_RetryableCodesOnly()
    {
        int[] retryable = [412, 429, 502, 503, 504];
        foreach (var status in Enumerable.Range(400, 200))
        {
            var kind = BotConnectorClient.Classify((HttpStatusCode)status, null);
            (kind == ConnectorFailure.Transient).ShouldBe(retryable.Contains(status), $"status {status}");
        }
    }
}
