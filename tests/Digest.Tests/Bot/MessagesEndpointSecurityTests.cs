using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Digest.FrontEnds.Teams;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;
using Shouldly;

namespace Digest.Tests.Bot;

/// <summary>The inbound gate of /api/messages, one test per hostile input of docs/protocols.md §2.5 (B1-B23), with
/// real RS256 tokens whose keys a loopback OpenID endpoint publishes. A rejected request never reaches a handler.</summary>
public sealed class MessagesEndpointSecurityTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly string _appId = Guid.NewGuid().ToString();
    private readonly string _tenantId = Guid.NewGuid().ToString();
    private readonly RecordingActivityHandler _handler = new();
    private TestIdentityProvider _identity = null!;
    private LoopbackConnector _connector = null!;
    private BotTestHost _bot = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await TestIdentityProvider.StartAsync(_appId, _tenantId, Cancel);
        _connector = await LoopbackConnector.StartAsync(Cancel);
        _bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel,
            configureServices: services => services.AddSingleton<IActivityHandler>(_handler));
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _connector.DisposeAsync();
        await _identity.DisposeAsync();
    }

    private string ServiceUrl => _connector.ServiceUrl;

    private string MessageJson(string text = "help", string? serviceUrl = null, string? id = null) =>
        TestActivities.Message(_appId, serviceUrl ?? ServiceUrl, TestActivities.PersonalConversationId(), text, id: id).ToJsonString();

    private string ValidToken(string? serviceUrl = null) => _identity.ChannelToken(serviceUrl ?? ServiceUrl);

    private async Task ShouldBeRejectedAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        response.StatusCode.ShouldBe(expected);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldBeEmpty(); // no detail for the caller
        (await _handler.StaysQuietAsync(Cancel)).ShouldBeTrue("a rejected request reached the handler");
        _handler.All.ShouldBeEmpty();
    }

    [Fact]
    public async Task Post_ValidChannelToken_Acknowledges200AndHandlesActivity()
    {
        using var response = await _bot.PostAsync(MessageJson("hello"), ValidToken(), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldBeEmpty();
        var handled = await _handler.NextAsync(Cancel);
        handled.Text.ShouldBe("hello");
    }

    [Fact]
    public async Task Post_ValidEntraTokensOfTheBotTenant_Accepted()
    {
        using var v2 = await _bot.PostAsync(MessageJson(), _identity.EntraToken(), Cancel);
        using var v1 = await _bot.PostAsync(MessageJson(), _identity.EntraToken(issuer: _identity.EntraIssuerV1), Cancel);

        v2.StatusCode.ShouldBe(HttpStatusCode.OK);
        v1.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
        await _handler.NextAsync(Cancel);
    }

    [Fact]
    public async Task Post_EntraCallerNotAllowListed_Returns401()
    {
        var configuration = BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString);
        configuration["Bot:AllowedEntraCallers:0"] = "bot-service";
        var handler = new RecordingActivityHandler();
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel, configureServices: services => services.AddSingleton<IActivityHandler>(handler));

        using var allowed = await bot.PostAsync(MessageJson(), _identity.EntraToken(), Cancel);
        using var other = await bot.PostAsync(MessageJson(), _identity.EntraToken(claims: new() { ["azp"] = "some-other-app", ["tid"] = _tenantId }), Cancel);
        using var none = await bot.PostAsync(MessageJson(), _identity.EntraToken(claims: new() { ["tid"] = _tenantId }), Cancel);

        allowed.StatusCode.ShouldBe(HttpStatusCode.OK);
        other.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        none.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await handler.NextAsync(Cancel);
        (await handler.StaysQuietAsync(Cancel)).ShouldBeTrue();
    }

    [Fact]
    public async Task Post_TokenExpiredWithinFiveMinuteSkew_Accepted()
    {
        var now = TimeProvider.System.GetUtcNow();
        var token = _identity.ChannelToken(ServiceUrl, notBefore: now.AddHours(-1), expires: now.AddMinutes(-4));

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
    }

    [Fact] // B1
    public async Task Post_NoAuthorizationHeader_Returns401()
    {
        using var response = await _bot.PostAsync(MessageJson(), token: null, Cancel);
        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory] // B2
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer  {token}")]
    [InlineData("bearer {token}")]
    [InlineData("Bearer")]
    [InlineData("{token}")]
    public async Task Post_MalformedAuthorizationHeader_Returns401(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/messages") { Content = new StringContent(MessageJson(), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", header.Replace("{token}", ValidToken(), StringComparison.Ordinal));

        using var response = await _bot.Client.SendAsync(request, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B2
    public async Task Post_TwoAuthorizationHeaders_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/messages") { Content = new StringContent(MessageJson(), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + ValidToken(), "Bearer " + ValidToken()]);

        using var response = await _bot.Client.SendAsync(request, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B2
    public async Task Post_TokenLongerThan8KB_Returns401()
    {
        var claims = new Dictionary<string, object> { ["serviceurl"] = ServiceUrl, ["padding"] = new string('x', 9000) };
        var token = TestIdentityProvider.Mint(_identity.BotFrameworkKey(), TestIdentityProvider.BotFrameworkKeyId, "https://api.botframework.com", _appId, claims, null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory] // B3
    [InlineData("garbage")]
    [InlineData("not.a.jwt")]
    [InlineData("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.eyJ4IjoxfQ.eyJ4IjoxfQ.eyJ4IjoxfQ.eyJ4IjoxfQ")] // JWE shape
    public async Task Post_NonJwtOrEncryptedToken_Returns401(string token)
    {
        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);
        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B4
    public async Task Post_AlgNone_Returns401()
    {
        var header = TestIdentityProvider.Segment(new JsonObject { ["alg"] = "none", ["typ"] = "JWT", ["kid"] = TestIdentityProvider.BotFrameworkKeyId });
        var payload = TestIdentityProvider.Segment(ChannelPayload());

        using var response = await _bot.PostAsync(MessageJson(), $"{header}.{payload}.", Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B4: HMAC "signed" with the public RSA key (algorithm confusion)
    public async Task Post_Hs256SignedWithPublicRsaKey_Returns401()
    {
        var header = TestIdentityProvider.Segment(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT", ["kid"] = TestIdentityProvider.BotFrameworkKeyId });
        var payload = TestIdentityProvider.Segment(ChannelPayload());
        var publicKey = _identity.BotFrameworkKey().ExportSubjectPublicKeyInfo();
        var signature = HMACSHA256.HashData(publicKey, Encoding.ASCII.GetBytes($"{header}.{payload}"));

        using var response = await _bot.PostAsync(MessageJson(), $"{header}.{payload}.{TestIdentityProvider.Base64Url(signature)}", Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B4: the right key, but PS256 (only RS256 is accepted)
    public async Task Post_Ps256WithPublishedKey_Returns401()
    {
        var token = TestIdentityProvider.Mint(_identity.BotFrameworkKey(), TestIdentityProvider.BotFrameworkKeyId, "https://api.botframework.com", _appId,
            new() { ["serviceurl"] = ServiceUrl }, null, null, SecurityAlgorithms.RsaSsaPssSha256);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B4
    public async Task Post_Es256_Returns401()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = TestIdentityProvider.Mint(new ECDsaSecurityKey(ecdsa) { KeyId = TestIdentityProvider.BotFrameworkKeyId }, SecurityAlgorithms.EcdsaSha256,
            "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B5: an attacker's key claiming our published kid
    public async Task Post_AttackerKeyWithPublishedKid_Returns401()
    {
        using var attacker = RSA.Create(2048);
        var token = TestIdentityProvider.Mint(attacker, TestIdentityProvider.BotFrameworkKeyId, "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B5: unknown kid, and jku / x5u / embedded jwk headers pointing at the attacker's key
    public async Task Post_UnknownKidOrKeyUrlHeaders_Returns401AndNeverFollowsHeaderUrls()
    {
        using var attacker = RSA.Create(2048);
        var attackerJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(attacker.ExportParameters(false)) { KeyId = "attacker" });
        var tokens = new[]
        {
            TestIdentityProvider.Mint(attacker, "attacker", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null),
            TestIdentityProvider.Mint(attacker, "attacker", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null,
                extraHeader: new() { ["jku"] = new Uri(_connector.ServiceUrl + "keys").ToString(), ["x5u"] = new Uri(_connector.ServiceUrl + "cert").ToString() }),
            TestIdentityProvider.Mint(attacker, "attacker", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null,
                extraHeader: new() { ["jwk"] = new Dictionary<string, object> { ["kty"] = "RSA", ["n"] = attackerJwk.N, ["e"] = attackerJwk.E } }),
        };

        foreach (var token in tokens)
        {
            using var response = await _bot.PostAsync(MessageJson(), token, Cancel);
            await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
        }

        _connector.All.ShouldBeEmpty(); // the jku/x5u URLs were never fetched
    }

    [Theory] // B6
    [InlineData("https://api.botframework.com.evil")]
    [InlineData("https://api.botframework.com/")]
    [InlineData("http://api.botframework.com")]
    [InlineData("https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0")]
    [InlineData("")]
    public async Task Post_IssuerNotTrusted_Returns401(string issuer)
    {
        var token = _identity.ChannelToken(ServiceUrl, issuer: issuer);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B6: a token signed by our Entra tenant key but naming another tenant
    public async Task Post_EntraTokenOfAnotherTenant_Returns401()
    {
        var token = _identity.EntraToken(issuer: "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0");

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B7: Entra key, Bot Framework issuer (cross-issuer key confusion)
    public async Task Post_EntraKeySigningBotFrameworkIssuer_Returns401()
    {
        var token = TestIdentityProvider.Mint(_identity.EntraKey, TestIdentityProvider.EntraKeyId, "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B7, the other way round: Bot Framework key, Entra issuer
    public async Task Post_BotFrameworkKeySigningEntraIssuer_Returns401()
    {
        var token = TestIdentityProvider.Mint(_identity.BotFrameworkKey(), TestIdentityProvider.BotFrameworkKeyId, _identity.EntraIssuerV2, _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B8
    public async Task Post_WrongAudiences_Returns401()
    {
        var audiences = new object[] { Guid.NewGuid().ToString(), "https://api.botframework.com", new[] { _appId, Guid.NewGuid().ToString() }, "" };
        foreach (var audience in audiences)
        {
            var token = TestIdentityProvider.Mint(_identity.BotFrameworkKey(), TestIdentityProvider.BotFrameworkKeyId, "https://api.botframework.com", audience, new() { ["serviceurl"] = ServiceUrl }, null, null);
            using var response = await _bot.PostAsync(MessageJson(), token, Cancel);
            await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
        }
    }

    [Fact] // B9
    public async Task Post_ExpiredBeyondSkew_Returns401()
    {
        var now = TimeProvider.System.GetUtcNow();
        var token = _identity.ChannelToken(ServiceUrl, notBefore: now.AddHours(-2), expires: now.AddMinutes(-6));

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B9
    public async Task Post_NotBeforeBeyondSkew_Returns401()
    {
        var now = TimeProvider.System.GetUtcNow();
        var token = _identity.ChannelToken(ServiceUrl, notBefore: now.AddMinutes(6), expires: now.AddHours(1));

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B9
    public async Task Post_MissingExp_Returns401()
    {
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = TestIdentityProvider.BotFrameworkKeyId };
        var payload = ChannelPayload();
        payload.Remove("exp");
        var signingInput = $"{TestIdentityProvider.Segment(header)}.{TestIdentityProvider.Segment(payload)}";
        var signature = _identity.BotFrameworkKey().SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        using var response = await _bot.PostAsync(MessageJson(), $"{signingInput}.{TestIdentityProvider.Base64Url(signature)}", Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B9 control: the hand-built token above is otherwise valid
    public async Task Post_HandBuiltRs256TokenWithExp_Accepted()
    {
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = TestIdentityProvider.BotFrameworkKeyId };
        var signingInput = $"{TestIdentityProvider.Segment(header)}.{TestIdentityProvider.Segment(ChannelPayload())}";
        var signature = _identity.BotFrameworkKey().SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        using var response = await _bot.PostAsync(MessageJson(), $"{signingInput}.{TestIdentityProvider.Base64Url(signature)}", Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
    }

    [Fact] // B10: key endorsed for webchat only, activity from msteams
    public async Task Post_KeyNotEndorsedForChannel_Returns401()
    {
        var token = _identity.ChannelToken(ServiceUrl, keyId: TestIdentityProvider.WebChatOnlyKeyId);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B10
    public async Task Post_EmptyChannelId_Returns401()
    {
        var activity = TestActivities.Message(_appId, ServiceUrl, TestActivities.PersonalConversationId(), "help");
        activity["channelId"] = "";

        using var response = await _bot.PostAsync(activity.ToJsonString(), ValidToken(), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B11
    public async Task Post_ServiceUrlClaimMissing_Returns401()
    {
        var token = TestIdentityProvider.Mint(_identity.BotFrameworkKey(), TestIdentityProvider.BotFrameworkKeyId, "https://api.botframework.com", _appId, [], null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B11: activity points at an attacker to harvest the bot's token
    public async Task Post_ServiceUrlClaimDiffersFromActivity_Returns401()
    {
        using var response = await _bot.PostAsync(MessageJson(serviceUrl: "https://attacker.example/"), ValidToken(), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Theory] // B12: token and activity agree, but the host may not receive our token
    [InlineData("http://smba.trafficmanager.net/amer/")]
    [InlineData("https://10.0.0.1/amer/")]
    [InlineData("https://smba.trafficmanager.net.evil.com/amer/")]
    [InlineData("https://user@smba.trafficmanager.net/amer/")]
    [InlineData("https://smba.trafficmanager.net:8443/amer/")]
    [InlineData("https://trafficmanager.net/amer/")]
    [InlineData("not a url")]
    public async Task Post_ServiceUrlNotAllowListed_Returns401(string serviceUrl)
    {
        using var response = await _bot.PostAsync(MessageJson(serviceUrl: serviceUrl), ValidToken(serviceUrl), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B12 control: the real Teams host is allowed
    public async Task Post_TeamsServiceUrl_Accepted()
    {
        const string teams = "https://smba.trafficmanager.net/amer/";
        using var response = await _bot.PostAsync(MessageJson(serviceUrl: teams), ValidToken(teams), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _handler.NextAsync(Cancel)).ServiceUrl.ShouldBe(teams);
    }

    [Fact] // B13
    public async Task Post_EmulatorIssuedToken_Returns401()
    {
        var token = TestIdentityProvider.Mint(_identity.EntraKey, TestIdentityProvider.EntraKeyId, "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/", _appId,
            new() { ["ver"] = "1.0", ["appid"] = _appId }, null, null);

        using var response = await _bot.PostAsync(MessageJson(), token, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact] // B14
    public async Task Post_BodyOverLimit_Returns413()
    {
        var json = MessageJson(new string('a', 300 * 1024));

        using var response = await _bot.PostAsync(json, ValidToken(), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact] // B14: chunked, so there is no Content-Length to check first
    public async Task Post_ChunkedBodyOverLimit_Returns413()
    {
        var bytes = Encoding.UTF8.GetBytes(MessageJson(new string('a', 300 * 1024)));
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/messages") { Content = new StreamContent(new NonSeekableStream(bytes)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ValidToken());

        using var response = await _bot.Client.SendAsync(request, Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory] // B15
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=utf-16")]
    public async Task Post_ContentTypeNotJson_Returns415(string contentType)
    {
        using var response = await _bot.PostAsync(MessageJson(), ValidToken(), Cancel, contentType);
        await ShouldBeRejectedAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact] // B15 control
    public async Task Post_JsonWithUtf8Charset_Accepted()
    {
        using var response = await _bot.PostAsync(MessageJson(), ValidToken(), Cancel, "application/json; charset=utf-8");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
    }

    [Theory] // B16
    [InlineData("{\"type\":\"message\",")]
    [InlineData("[{\"type\":\"message\"}]")]
    [InlineData("\"message\"")]
    [InlineData("{\"type\":\"message\",\"type\":\"invoke\"}")]
    [InlineData("{\"type\":\"message\"} trailing")]
    public async Task Post_MalformedJson_Returns400(string json)
    {
        using var response = await _bot.PostAsync(json, ValidToken(), Cancel);
        await ShouldBeRejectedAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact] // B16
    public async Task Post_JsonDeeperThan64_Returns400()
    {
        var activity = TestActivities.Message(_appId, ServiceUrl, TestActivities.PersonalConversationId(), "help");
        var json = activity.ToJsonString()[..^1] + ",\"value\":" + new string('[', 80) + new string(']', 80) + "}";

        using var response = await _bot.PostAsync(json, ValidToken(), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact] // B17
    public async Task Post_ActivityWithoutType_Returns400()
    {
        var activity = TestActivities.Message(_appId, ServiceUrl, TestActivities.PersonalConversationId(), "help");
        activity.Remove("type");

        using var response = await _bot.PostAsync(activity.ToJsonString(), ValidToken(), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory] // B18
    [InlineData("messageReaction")]
    [InlineData("typing")]
    [InlineData("somethingNew")]
    public async Task Post_UnhandledActivityType_Returns200WithoutHandling(string type)
    {
        var activity = TestActivities.Message(_appId, ServiceUrl, TestActivities.PersonalConversationId(), "help");
        activity["type"] = type;

        using var response = await _bot.PostAsync(activity.ToJsonString(), ValidToken(), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _handler.StaysQuietAsync(Cancel)).ShouldBeTrue();
    }

    [Fact] // B19
    public async Task Post_TenantMismatch_Returns403()
    {
        var activity = TestActivities.Message(_appId, ServiceUrl, TestActivities.PersonalConversationId(), "help");
        activity["channelData"]!["tenant"]!["id"] = Guid.NewGuid().ToString();

        using var response = await _bot.PostAsync(activity.ToJsonString(), ValidToken(), Cancel);

        await ShouldBeRejectedAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact] // B20: a wire callerId is ignored; a stray recipient is logged, not trusted for anything
    public async Task Post_CallerIdOnTheWire_IsIgnored()
    {
        var activity = TestActivities.Message(_appId, ServiceUrl, TestActivities.PersonalConversationId(), "help");
        activity["callerId"] = "urn:botframework:azure";

        using var response = await _bot.PostAsync(activity.ToJsonString(), ValidToken(), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await _handler.NextAsync(Cancel)).Text.ShouldBe("help");
    }

    [Fact] // B21
    public async Task Post_SameActivityIdTwice_HandledOnce()
    {
        var json = MessageJson("subscribe", id: "1485983408511");

        using var first = await _bot.PostAsync(json, ValidToken(), Cancel);
        using var second = await _bot.PostAsync(json, ValidToken(), Cancel);

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
        (await _handler.StaysQuietAsync(Cancel)).ShouldBeTrue();
        _handler.All.Count.ShouldBe(1);
    }

    [Theory] // B23
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task NonPost_Returns405(string method)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "api/messages");

        using var response = await _bot.Client.SendAsync(request, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.ShouldBe(["POST"]);
    }

    [Fact]
    public async Task Post_TokenSignedWithRolledOverKey_AcceptedAfterOneRefresh()
    {
        using var first = await _bot.PostAsync(MessageJson(), ValidToken(), Cancel);
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
        var fetchesBefore = _identity.BotFrameworkKeyFetches;

        using var rolled = RSA.Create(2048);
        _identity.PublishBotFrameworkKey("bf-rolled", rolled, "msteams");
        var token = TestIdentityProvider.Mint(rolled, "bf-rolled", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);
        using var second = await _bot.PostAsync(MessageJson(), token, Cancel);

        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
        _identity.BotFrameworkKeyFetches.ShouldBe(fetchesBefore + 1);
    }

    [Fact]
    public async Task Post_KeysEndpointDownDuringARefresh_KeepsTheLastGoodKeys()
    {
        using var first = await _bot.PostAsync(MessageJson(), ValidToken(), Cancel);
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
        _identity.KeysDown = true;
        var fetchesBefore = _identity.BotFrameworkKeyFetches;

        // Unknown kids ask for a refresh, which fails: those tokens are refused, the keys already held are not dropped,
        // and the failed refresh is not tried again within the minimum interval.
        using var stranger = RSA.Create(2048);
        var fetchesAfterFirst = 0;
        for (var i = 0; i < 3; i++)
        {
            using var unknown = await _bot.PostAsync(MessageJson(), TestIdentityProvider.Mint(stranger, $"bf-unknown-{i}", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null), Cancel);
            unknown.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            fetchesAfterFirst = i == 0 ? _identity.BotFrameworkKeyFetches : fetchesAfterFirst;
        }

        fetchesAfterFirst.ShouldBeGreaterThan(fetchesBefore);
        _identity.BotFrameworkKeyFetches.ShouldBe(fetchesAfterFirst);
        using var another = await _bot.PostAsync(MessageJson(), _identity.ChannelToken(ServiceUrl, expires: TimeProvider.System.GetUtcNow().AddMinutes(47)), Cancel);

        another.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
    }

    [Fact]
    public async Task Post_SameTokenAgainAfterItsKeyWasRetiredAndTheKeysRefreshed_Returns401()
    {
        var token = ValidToken();
        using var first = await _bot.PostAsync(MessageJson(), token, Cancel);
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);
        using var rolled = RSA.Create(2048);
        _identity.RetireBotFrameworkKey(TestIdentityProvider.BotFrameworkKeyId);
        _identity.PublishBotFrameworkKey("bf-rolled", rolled, "msteams");
        var rolledToken = TestIdentityProvider.Mint(rolled, "bf-rolled", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);
        using var refreshing = await _bot.PostAsync(MessageJson(), rolledToken, Cancel);
        refreshing.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);

        // The very string accepted a moment ago: its key is gone from the refreshed set, so it is verified again and fails.
        using var again = await _bot.PostAsync(MessageJson(), token, Cancel);

        again.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _handler.StaysQuietAsync(Cancel)).ShouldBeTrue("a rejected request reached the handler");
    }

    [Fact]
    public async Task Post_SameTokenAgainAfterItExpired_Returns401()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(_identity, _connector, azurite.ConnectionString), Cancel,
            configureServices: services => services.AddSingleton<IActivityHandler>(_handler).AddSingleton<TimeProvider>(clock));
        var token = _identity.ChannelToken(ServiceUrl, notBefore: clock.GetUtcNow().AddMinutes(-5), expires: clock.GetUtcNow().AddMinutes(2));
        using var first = await bot.PostAsync(MessageJson(), token, Cancel);
        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        await _handler.NextAsync(Cancel);

        clock.Advance(TimeSpan.FromMinutes(8)); // past its expiry and the five minutes of skew
        using var again = await bot.PostAsync(MessageJson(), token, Cancel);

        again.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await _handler.StaysQuietAsync(Cancel)).ShouldBeTrue("a rejected request reached the handler");
    }

    [Fact]
    public async Task Post_ManyUnknownKids_RefreshKeysAtMostOncePerInterval()
    {
        using var attacker = RSA.Create(2048);
        for (var i = 0; i < 5; i++)
        {
            var token = TestIdentityProvider.Mint(attacker, $"unknown-{i}", "https://api.botframework.com", _appId, new() { ["serviceurl"] = ServiceUrl }, null, null);
            using var response = await _bot.PostAsync(MessageJson(), token, Cancel);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        // One fetch for the first use, one forced refresh for the first unknown kid, then none (5 min minimum).
        _identity.BotFrameworkKeyFetches.ShouldBe(2);
    }

    private JsonObject ChannelPayload()
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return new JsonObject
        {
            ["serviceurl"] = ServiceUrl,
            ["nbf"] = now - 60,
            ["exp"] = now + 3600,
            ["iss"] = "https://api.botframework.com",
            ["aud"] = _appId,
        };
    }

    /// <summary>A stream without a length, so HttpClient must send it chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
