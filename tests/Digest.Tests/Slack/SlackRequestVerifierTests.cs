using System.Text;
using Digest.Platforms.Slack;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Request signing (bot-protocol.md §5.2.1) and the signature rows of the Slack hostile inputs (§6.5 S1-S4).</summary>
public sealed class SlackRequestVerifierTests
{
    // Slack's published test vector (bot-protocol.md §5.2.1).
    private const string VectorTimestamp = "1531420618";
    private const string VectorSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    private const string VectorBody =
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(long.Parse(VectorTimestamp, System.Globalization.CultureInfo.InvariantCulture)));

    private static byte[] Body => Encoding.UTF8.GetBytes(VectorBody);

    private SlackRequestVerifier Verifier(string? secret = SlackTestServices.SigningSecret, int replayCapacity = 100_000, TimeProvider? time = null) =>
        new(Options.Create(new SlackOptions { SigningSecret = secret, ReplayCacheCapacity = replayCapacity }), time ?? _time, NullLogger<SlackRequestVerifier>.Instance);

    // A clock that reads the vector's timestamp minus some seconds: the request then looks that far ahead.
    private FakeTimeProvider Before(int seconds) => new(_time.GetUtcNow() - TimeSpan.FromSeconds(seconds));

    private static string Sign(string timestamp, string body, string secret = SlackTestServices.SigningSecret) =>
        Encoding.ASCII.GetString(SlackRequestVerifier.Sign(Encoding.UTF8.GetBytes(secret), timestamp, Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void Verify_SlackPublishedTestVector_IsValid()
    {
        Verifier().Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Valid);
    }

    [Fact]
    public void Sign_SlackPublishedTestVector_ProducesThePublishedSignature()
    {
        Sign(VectorTimestamp, VectorBody).ShouldBe(VectorSignature);
    }

    [Fact]
    public void Verify_NoSignatureHeader_IsMissingSignature()
    {
        Verifier().Verify(VectorTimestamp, null, Body).ShouldBe(SlackSignatureCheck.MissingSignature);
    }

    [Fact]
    public void Verify_NoTimestampHeader_IsMissingTimestamp()
    {
        Verifier().Verify(null, VectorSignature, Body).ShouldBe(SlackSignatureCheck.MissingTimestamp);
    }

    [Fact]
    public void Verify_Unsigned_IsMissingBoth()
    {
        Verifier().Verify("", "", Body).ShouldBe(SlackSignatureCheck.MissingTimestamp);
    }

    [Fact]
    public void Verify_SignatureWithAnotherSecret_IsMismatch()
    {
        Verifier().Verify(VectorTimestamp, Sign(VectorTimestamp, VectorBody, "another-signing-secret-0000000"), Body).ShouldBe(SlackSignatureCheck.SignatureMismatch);
    }

    [Fact]
    public void Verify_SignatureOverADifferentBody_IsMismatch()
    {
        var signatureOfOtherBody = Sign(VectorTimestamp, VectorBody.Replace("text=", "text=subscribe", StringComparison.Ordinal));

        Verifier().Verify(VectorTimestamp, signatureOfOtherBody, Body).ShouldBe(SlackSignatureCheck.SignatureMismatch);
    }

    [Fact]
    public void Verify_SignatureOverTheReEncodedBody_IsMismatch()
    {
        // What a framework that parsed and re-serialized the form would have signed: %2F decoded.
        var reEncoded = Uri.UnescapeDataString(VectorBody);

        Verifier().Verify(VectorTimestamp, Sign(VectorTimestamp, reEncoded), Body).ShouldBe(SlackSignatureCheck.SignatureMismatch);
    }

    [Fact]
    public void Verify_SignatureForAnotherTimestamp_IsMismatch()
    {
        Verifier().Verify("1531420619", VectorSignature, Body).ShouldBe(SlackSignatureCheck.SignatureMismatch);
    }

    [Theory]
    [InlineData("v0=A2114D57B48EAC39B9AD189DD8316235A7B4A8D21A10BD27519666489C69B503")] // upper-case hex
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b5")] // one byte short
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50300")] // one byte long
    [InlineData("v0=")]
    [InlineData("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503 ")]
    public void Verify_SignatureOfWrongFormOrLength_IsMismatch(string signature)
    {
        Verifier().Verify(VectorTimestamp, signature, Body).ShouldBe(SlackSignatureCheck.SignatureMismatch);
    }

    [Theory]
    [InlineData("v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("V0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    [InlineData("sha256=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")]
    public void Verify_WrongVersionPrefix_IsUnknownVersion(string signature)
    {
        Verifier().Verify(VectorTimestamp, signature, Body).ShouldBe(SlackSignatureCheck.UnknownVersion);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1531420618.5")]
    [InlineData("+1531420618")]
    [InlineData("-1531420618")]
    [InlineData(" 1531420618")]
    [InlineData("1531420618 ")]
    [InlineData("1.531420618e9")]
    [InlineData("99999999999999999999")]
    public void Verify_NonIntegerTimestamp_IsMalformed(string timestamp)
    {
        Verifier().Verify(timestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.MalformedTimestamp);
    }

    [Fact]
    public void Verify_TimestampJustOverFiveMinutesOld_IsStale()
    {
        _time.Advance(TimeSpan.FromSeconds(301));

        Verifier().Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.StaleTimestamp);
    }

    [Fact]
    public void Verify_TimestampExactlyFiveMinutesOld_IsValid()
    {
        _time.Advance(TimeSpan.FromSeconds(300));

        Verifier().Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Valid);
    }

    [Fact]
    public void Verify_TimestampJustOverFiveMinutesAhead_IsFuture()
    {
        Verifier(time: Before(301)).Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.FutureTimestamp);
    }

    [Fact]
    public void Verify_TimestampFiveMinutesAhead_IsValid()
    {
        Verifier(time: Before(300)).Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Valid);
    }

    [Fact]
    public void Verify_SameRequestTwiceWithinTheWindow_SecondIsReplayed()
    {
        var verifier = Verifier();
        verifier.Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Valid);
        _time.Advance(TimeSpan.FromMinutes(4));

        verifier.Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Replayed);
    }

    [Fact]
    public void Verify_ReplayAfterTheWindow_IsStaleAndTheCacheHasForgottenIt()
    {
        var verifier = Verifier();
        verifier.Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Valid);
        _time.Advance(TimeSpan.FromMinutes(6));

        verifier.Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.StaleTimestamp);
    }

    [Fact]
    public void Verify_ForgedRequests_DoNotEnterTheReplayCache()
    {
        var verifier = Verifier(replayCapacity: 100);
        for (var i = 0; i < 500; i++)
        {
            verifier.Verify(VectorTimestamp, Sign(VectorTimestamp, VectorBody + i, "attacker-secret-000000000000"), Body).ShouldBe(SlackSignatureCheck.SignatureMismatch);
        }

        verifier.Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.Valid);
    }

    [Fact]
    public void Verify_MoreValidRequestsThanTheCacheHoldsInOneWindow_RefusesRatherThanForgets()
    {
        var verifier = Verifier(replayCapacity: 100);
        for (var i = 0; i < 100; i++)
        {
            var body = VectorBody + "&n=" + i;
            verifier.Verify(VectorTimestamp, Sign(VectorTimestamp, body), Encoding.UTF8.GetBytes(body)).ShouldBe(SlackSignatureCheck.Valid);
        }

        verifier.Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.ReplayCacheFull);

        // Once the window has moved on, the old entries go and room is made.
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        var now = _time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        verifier.Verify(now, Sign(now, VectorBody), Body).ShouldBe(SlackSignatureCheck.Valid);
    }

    [Fact]
    public void Verify_SlackNotEnabled_AcceptsNothing()
    {
        Verifier(secret: null).Verify(VectorTimestamp, VectorSignature, Body).ShouldBe(SlackSignatureCheck.NotConfigured);
    }
}
