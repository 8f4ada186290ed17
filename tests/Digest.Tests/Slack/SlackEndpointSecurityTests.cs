using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>The Slack endpoints' checks through the real bot on Kestrel: Slack's published test vector, and one test
/// per Slack hostile input of bot-protocol.md §6.5 with its expected status.</summary>
public sealed class SlackEndpointSecurityTests(AzuriteFixture azurite) : IAsyncLifetime
{
    // Slack's published test vector (bot-protocol.md §5.2.1).
    private const string VectorTimestamp = "1531420618";
    private const string VectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private const string VectorBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    private LoopbackSlack _slack = null!;
    private BotTestHost _bot = null!;
    private SlackTestClient _client = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _slack = await LoopbackSlack.StartAsync(Cancel);
        var configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        configuration["Slack:MaxRequestBodyBytes"] = "8192";
        _bot = await BotTestHost.StartAsync(configuration, Cancel);
        _client = new SlackTestClient(_bot.Client, SlackTestSettings.SigningSecret);
    }

    public async ValueTask DisposeAsync()
    {
        await _bot.DisposeAsync();
        await _slack.DisposeAsync();
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string HelpCommand(string team = SlackTestSettings.Team, string channel = "C0SECURITY") =>
        SlackTestClient.Form(("team_id", team), ("channel_id", channel), ("user_id", "U0SOMEONE"), ("command", "/digest"), ("text", "subscribe"));

    private async Task<HttpStatusCode> SendAsync(string path, string body, string? timestamp, string? signature, string contentType = SlackTestClient.FormContentType)
    {
        using var response = await _client.SendAsync(path, Bytes(body), contentType, timestamp, signature, Cancel);
        return response.StatusCode;
    }

    private async Task<Subscription?> SubscriptionAsync(string channel) =>
        await _bot.Services.GetRequiredService<SubscriptionStore>().GetAsync(SlackAddress.Key(new SlackConversation(SlackTestSettings.Team, null, channel)), Cancel);

    [Fact]
    public async Task Commands_SlackPublishedTestVector_IsAcceptedAndAnswered()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(long.Parse(VectorTimestamp, CultureInfo.InvariantCulture)));
        var configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel, configureServices: services => services.AddSingleton<TimeProvider>(clock));
        var client = new SlackTestClient(bot.Client, SlackTestSettings.SigningSecret, clock);

        using var response = await client.SendAsync(SlackTestClient.CommandsPath, Bytes(VectorBody), SlackTestClient.FormContentType, VectorTimestamp, VectorSignature, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!;
        ((string?)answer["response_type"]).ShouldBe("ephemeral");
        ((string?)answer["text"]).ShouldBe("What I can do"); // an empty /digest is help
    }

    [Fact]
    public async Task Commands_Valid_IsAccepted()
    {
        var timestamp = _client.Now();

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, _client.Sign(timestamp, Bytes(HelpCommand())))).ShouldBe(HttpStatusCode.OK);
        (await SubscriptionAsync("C0SECURITY"))!.Subscribed.ShouldBeTrue();
    }

    [Fact]
    public async Task Commands_Unsigned_Is401()
    {
        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), null, null)).ShouldBe(HttpStatusCode.Unauthorized);
        (await SubscriptionAsync("C0SECURITY")).ShouldBeNull();
    }

    [Fact]
    public async Task Commands_NoTimestamp_Is401()
    {
        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), null, _client.Sign(_client.Now(), Bytes(HelpCommand())))).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_BadSignature_Is401()
    {
        var timestamp = _client.Now();
        var forged = SlackTestClient.Sign("another-signing-secret-0000000000", timestamp, Bytes(HelpCommand()));

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, forged)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("v1=")]
    [InlineData("V0=")]
    public async Task Commands_SignatureOfAnotherVersion_Is401(string prefix)
    {
        var timestamp = _client.Now();
        var signature = prefix + _client.Sign(timestamp, Bytes(HelpCommand()))[3..];

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, signature)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_UppercaseHexSignature_Is401()
    {
        var timestamp = _client.Now();
        var signature = "v0=" + _client.Sign(timestamp, Bytes(HelpCommand()))[3..].ToUpperInvariant();

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, signature)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_StaleTimestamp_Is401()
    {
        var stale = (TimeProvider.System.GetUtcNow() - TimeSpan.FromMinutes(6)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), stale, _client.Sign(stale, Bytes(HelpCommand())))).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_FutureTimestamp_Is401()
    {
        var future = (TimeProvider.System.GetUtcNow() + TimeSpan.FromMinutes(6)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), future, _client.Sign(future, Bytes(HelpCommand())))).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_NonNumericTimestamp_Is401()
    {
        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), "1e9", _client.Sign("1e9", Bytes(HelpCommand())))).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_Replayed_SecondIs401()
    {
        var timestamp = _client.Now();
        var signature = _client.Sign(timestamp, Bytes(HelpCommand()));

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, signature)).ShouldBe(HttpStatusCode.OK);
        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, signature)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_SignatureOverADifferentBody_Is401()
    {
        var timestamp = _client.Now();
        var signatureOfHelp = _client.Sign(timestamp, Bytes(SlackTestClient.Form(("team_id", SlackTestSettings.Team), ("channel_id", "C0SECURITY"), ("user_id", "U0SOMEONE"), ("text", "help"))));

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, signatureOfHelp)).ShouldBe(HttpStatusCode.Unauthorized);
        (await SubscriptionAsync("C0SECURITY")).ShouldBeNull();
    }

    [Fact]
    public async Task Commands_SignatureOverTheDecodedBody_Is401()
    {
        var timestamp = _client.Now();
        var signatureOfDecoded = _client.Sign(timestamp, Bytes(Uri.UnescapeDataString(HelpCommand())));

        (await SendAsync(SlackTestClient.CommandsPath, HelpCommand(), timestamp, signatureOfDecoded)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Commands_Oversized_Is413()
    {
        var body = HelpCommand() + "&padding=" + new string('x', 9000);
        var timestamp = _client.Now();

        (await SendAsync(SlackTestClient.CommandsPath, body, timestamp, _client.Sign(timestamp, Bytes(body)))).ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Commands_OversizedChunkedBody_Is413()
    {
        var body = Bytes(HelpCommand() + "&padding=" + new string('x', 9000));
        var timestamp = _client.Now();
        using var request = new HttpRequestMessage(HttpMethod.Post, SlackTestClient.CommandsPath) { Content = new StreamContent(new MemoryStream(body)) };
        request.Headers.TransferEncodingChunked = true;
        request.Content.Headers.ContentType = new(SlackTestClient.FormContentType);
        request.Headers.TryAddWithoutValidation("X-Slack-Request-Timestamp", timestamp);
        request.Headers.TryAddWithoutValidation("X-Slack-Signature", _client.Sign(timestamp, body));

        using var response = await _bot.Client.SendAsync(request, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData("team_id=T0LOOPBACK&channel_id=C0SECURITY&user_id=U1&text=%zzsubscribe")]
    [InlineData("team_id=T0LOOPBACK&team_id=T0OTHER&channel_id=C0SECURITY&user_id=U1&text=subscribe")]
    [InlineData("team_id=T0LOOPBACK&channel_id=C0SECURITY&user_id=U1&text=%C3%28")]
    [InlineData("channel_id=C0SECURITY&user_id=U1&text=subscribe")]
    public async Task Commands_MalformedForm_Is400(string body)
    {
        var timestamp = _client.Now();

        (await SendAsync(SlackTestClient.CommandsPath, body, timestamp, _client.Sign(timestamp, Bytes(body)))).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("payload=not-json")]
    [InlineData("payload=%5B1%2C2%5D")]
    [InlineData("nothing=here")]
    public async Task Interactions_MalformedPayload_Is400(string body)
    {
        var timestamp = _client.Now();

        (await SendAsync(SlackTestClient.InteractionsPath, body, timestamp, _client.Sign(timestamp, Bytes(body)))).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[\"event_callback\"]")]
    [InlineData("{\"type\":\"event_callback\",\"type\":\"url_verification\",\"challenge\":\"x\"}")]
    [InlineData("{\"type\":\"event_callback\",\"team_id\":\"T0LOOPBACK\",\"event_id\":\"Ev/../x\",\"event\":{\"type\":\"app_uninstalled\"}}")]
    public async Task Events_MalformedPayload_Is400(string body)
    {
        var timestamp = _client.Now();

        (await SendAsync(SlackTestClient.EventsPath, body, timestamp, _client.Sign(timestamp, Bytes(body)), SlackTestClient.JsonContentType)).ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Commands_UnsignedSslCheckWithSmuggledCommand_Is200AndNothingIsDone()
    {
        var body = "ssl_check=1&token=x&" + HelpCommand();

        using var response = await _client.SendAsync(SlackTestClient.CommandsPath, Bytes(body), SlackTestClient.FormContentType, null, null, Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync(Cancel)).ShouldBeEmpty();
        (await SubscriptionAsync("C0SECURITY")).ShouldBeNull();
    }

    [Theory]
    [InlineData("ssl_check=0&")]
    [InlineData("ssl_check=true&")]
    public async Task Commands_UnsignedWithOtherSslCheckValues_Is401(string prefix)
    {
        (await SendAsync(SlackTestClient.CommandsPath, prefix + HelpCommand(), null, null)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Events_UnsignedSslCheckAsJson_Is401()
    {
        (await SendAsync(SlackTestClient.EventsPath, "{\"ssl_check\":\"1\",\"type\":\"url_verification\",\"challenge\":\"x\"}", null, null, SlackTestClient.JsonContentType))
            .ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Events_UnsignedUrlVerification_Is401()
    {
        (await SendAsync(SlackTestClient.EventsPath, SlackPayloads.UrlVerification("abc").ToJsonString(), null, null, SlackTestClient.JsonContentType))
            .ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Events_SignedUrlVerification_AnswersTheChallenge()
    {
        using var response = await _client.EventAsync(SlackPayloads.UrlVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"), Cancel);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        ((string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(Cancel))!["challenge"]).ShouldBe("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    }

    [Fact]
    public async Task Interactions_Unsigned_Is401()
    {
        var body = SlackTestClient.Form(("payload", SlackPayloads.HomeAction(SlackTestSettings.Team, "U0SOMEONE", "home.command", "subscribe").ToJsonString()));

        (await SendAsync(SlackTestClient.InteractionsPath, body, null, null)).ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    public async Task Commands_OtherMethods_Are405(string method)
    {
        using var response = await _client.SendAsync(SlackTestClient.CommandsPath, [], SlackTestClient.FormContentType, null, null, Cancel, method: new HttpMethod(method));

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Commands_ResponseUrlNotOnSlack_NothingIsPostedToIt()
    {
        var configuration = SlackTestSettings.Configuration(_slack, azurite.ConnectionString);
        configuration["Slack:ReplyWithin"] = "00:00:00"; // every reply goes through the response_url
        await using var bot = await BotTestHost.StartAsync(configuration, Cancel);
        var client = new SlackTestClient(bot.Client, SlackTestSettings.SigningSecret);
        var attacker = _slack.ApiBaseUrl + "attacker/collect";

        using var refused = await client.CommandAsync(SlackTestSettings.Team, "C0ATTACK", "U0SOMEONE", "status", attacker, Cancel);
        using var allowed = await client.CommandAsync(SlackTestSettings.Team, "C0ATTACK", "U0SOMEONE", "help", _slack.NewResponseUrl(), Cancel);
        await _slack.WaitForAsync("/commands/", 1, Cancel);

        refused.StatusCode.ShouldBe(HttpStatusCode.OK);
        _slack.Count("/attacker/collect").ShouldBe(0);
    }
}
