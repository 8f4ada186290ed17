using Digest.Platforms.Slack;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Tokens encrypted at rest, bound to their team; the OAuth state signed, short-lived and bound to a browser.</summary>
public sealed class SlackTokenProtectorTests
{
    private const string Token = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";
    private readonly string _key = SlackTestServices.NewKey();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 8, 1, 12, 0, 0, TimeSpan.Zero));

    private SlackTokenProtector Protector(string? key = null) => new(Options.Create(new SlackOptions { TokenEncryptionKey = key ?? _key }));

    private OAuthStateSigner Signer(string? key = null) =>
        new(Options.Create(new SlackOptions { TokenEncryptionKey = key ?? _key, OAuthStateLifetime = TimeSpan.FromMinutes(10) }), _time);

    [Fact]
    public void Protect_ThenUnprotectForTheSameTeam_GivesTheTokenBack()
    {
        var stored = Protector().Protect("T0001", Token);

        stored.ShouldStartWith("v1.");
        stored.ShouldNotContain("xoxb");
        Protector().TryUnprotect("T0001", stored, out var token).ShouldBeTrue();
        token.ShouldBe(Token);
    }

    [Fact]
    public void Protect_SameTokenTwice_GivesDifferentValues()
    {
        Protector().Protect("T0001", Token).ShouldNotBe(Protector().Protect("T0001", Token));
    }

    [Fact]
    public void TryUnprotect_ValueMovedToAnotherTeamsRow_Fails()
    {
        var stored = Protector().Protect("T0001", Token);

        Protector().TryUnprotect("T0002", stored, out var token).ShouldBeFalse();
        token.ShouldBeNull();
    }

    [Fact]
    public void TryUnprotect_AnotherKey_Fails()
    {
        var stored = Protector().Protect("T0001", Token);

        Protector(SlackTestServices.NewKey()).TryUnprotect("T0001", stored, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(40)]
    public void TryUnprotect_OneCharacterChanged_Fails(int position)
    {
        var stored = Protector().Protect("T0001", Token);
        var tampered = stored[..position] + (stored[position] == 'A' ? 'B' : 'A') + stored[(position + 1)..];

        Protector().TryUnprotect("T0001", tampered, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("")]
    [InlineData("xoxb-plain-token")]
    [InlineData("v1.")]
    [InlineData("v1.AAAA")]
    [InlineData("v1.!!not-base64!!")]
    [InlineData("v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void TryUnprotect_NotAValueWeMade_Fails(string stored)
    {
        Protector().TryUnprotect("T0001", stored, out _).ShouldBeFalse();
    }

    [Fact]
    public void Protect_NoKeyConfigured_SaysWhichSettingIsMissing()
    {
        var protector = new SlackTokenProtector(Options.Create(new SlackOptions()));

        Should.Throw<InvalidOperationException>(() => protector.Protect("T0001", Token)).Message.ShouldContain("Slack:TokenEncryptionKey");
    }

    [Fact]
    public void ValidateState_FreshStateFromTheSameBrowser_IsValid()
    {
        var issued = Signer().Issue();

        Signer().Validate(issued.State, issued.BrowserBinding).ShouldBe(OAuthStateCheck.Valid);
        issued.State.Length.ShouldBeLessThan(200);
    }

    [Fact]
    public void ValidateState_SignedWithAnotherKey_IsForged()
    {
        var issued = Signer(SlackTestServices.NewKey()).Issue();

        Signer().Validate(issued.State, issued.BrowserBinding).ShouldBe(OAuthStateCheck.Forged);
    }

    [Fact]
    public void ValidateState_PayloadChanged_IsForged()
    {
        var issued = Signer().Issue();
        var dot = issued.State.LastIndexOf('.');
        var payload = issued.State[3..dot];
        var tampered = "v1." + (payload[5] == 'A' ? payload[..5] + "B" + payload[6..] : payload[..5] + "A" + payload[6..]) + issued.State[dot..];

        Signer().Validate(tampered, issued.BrowserBinding).ShouldBe(OAuthStateCheck.Forged);
    }

    [Fact]
    public void ValidateState_TokenProtectorsCiphertextAsState_IsNotValid()
    {
        // Same master key, other purpose: one derived key per purpose.
        var notAState = Protector().Protect("T0001", Token);

        Signer().Validate(notAState, "").ShouldNotBe(OAuthStateCheck.Valid);
    }

    [Fact]
    public void ValidateState_OlderThanItsLifetime_IsExpired()
    {
        var issued = Signer().Issue();
        _time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));

        Signer().Validate(issued.State, issued.BrowserBinding).ShouldBe(OAuthStateCheck.Expired);
    }

    [Fact]
    public void ValidateState_JustWithinItsLifetime_IsValid()
    {
        var issued = Signer().Issue();
        _time.Advance(TimeSpan.FromMinutes(10));

        Signer().Validate(issued.State, issued.BrowserBinding).ShouldBe(OAuthStateCheck.Valid);
    }

    [Fact]
    public void ValidateState_BroughtBackByAnotherBrowser_IsWrongBrowser()
    {
        var issued = Signer().Issue();
        var other = Signer().Issue();

        Signer().Validate(issued.State, other.BrowserBinding).ShouldBe(OAuthStateCheck.WrongBrowser);
        Signer().Validate(issued.State, null).ShouldBe(OAuthStateCheck.WrongBrowser);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("random-csrf-value")]
    [InlineData("v1.")]
    [InlineData("v1..")]
    [InlineData("v1.AAAA.AAAA")]
    [InlineData("v1.!!not-base64!!.??")]
    public void ValidateState_NotAStateWeMade_IsMalformed(string? state)
    {
        Signer().Validate(state, "anything").ShouldBe(OAuthStateCheck.Malformed);
    }
}
