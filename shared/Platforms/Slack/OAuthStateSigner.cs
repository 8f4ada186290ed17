using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary>Why an OAuth <c>state</c> was accepted or refused.</summary>
public enum OAuthStateCheck
{
    Valid,

    /// <summary>No state, or not one this app made (bad format, wrong version or purpose).</summary>
    Malformed,

    /// <summary>The signature does not match: forged or changed.</summary>
    Forged,

    /// <summary>Older than <c>Slack:OAuthStateLifetime</c>, or issued in the future.</summary>
    Expired,

    /// <summary>Signed by us, but for another browser than the one bringing it back (login CSRF).</summary>
    WrongBrowser,
}

/// <summary>An issued state and the value to give the browser (in a cookie) that must come back with it.</summary>
/// <param name="State">The <c>state</c> query parameter of the authorize URL.</param>
/// <param name="BrowserBinding">A random value for an HttpOnly, Secure, SameSite=Lax cookie.</param>
public sealed record OAuthStateIssue(string State, string BrowserBinding);

/// <summary>Makes and checks the <c>state</c> of the Slack OAuth v2 install round trip (bot-protocol.md §5.2.8):
/// HMAC-SHA256 under a key derived from <c>Slack:TokenEncryptionKey</c>, single-purpose (the purpose is signed), short
/// lived, and bound to the browser that started the install by the hash of a cookie value, so a state cannot be
/// handed to someone else's browser. It is not single-use: Slack's <c>code</c> is, and a state is useless without one.
/// Format: <c>v1.</c> + base64url(issued-at seconds ‖ SHA-256 of the binding) + <c>.</c> + base64url(HMAC).</summary>
public sealed class OAuthStateSigner(IOptions<SlackOptions> options, TimeProvider time)
{
    private const string Prefix = "v1.";
    private const string Purpose = "digest/slack/oauth-install-state/v1";
    private const int PayloadBytes = sizeof(long) + SHA256.HashSizeInBytes;

    private readonly Lazy<byte[]> _key = new(() => SlackKeys.Derive(options.Value, "oauth-state/v1"));

    /// <summary>A new state and its browser binding.</summary>
    /// <exception cref="InvalidOperationException">Slack:TokenEncryptionKey is not configured.</exception>
    public OAuthStateIssue Issue()
    {
        var binding = Base64Url.Encode(RandomNumberGenerator.GetBytes(32));
        var payload = new byte[PayloadBytes];
        BinaryPrimitives.WriteInt64BigEndian(payload, time.GetUtcNow().ToUnixTimeSeconds());
        SHA256.HashData(Encoding.UTF8.GetBytes(binding), payload.AsSpan(sizeof(long)));
        var encoded = Prefix + Base64Url.Encode(payload);
        return new OAuthStateIssue(encoded + "." + Base64Url.Encode(Mac(encoded)), binding);
    }

    /// <summary>Checks a state that came back on the OAuth redirect, with the binding cookie of that request.</summary>
    public OAuthStateCheck Validate(string? state, string? browserBinding)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 512 || !state.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return OAuthStateCheck.Malformed;
        }

        var dot = state.LastIndexOf('.');
        if (dot <= Prefix.Length - 1 || !Base64Url.TryDecode(state[(dot + 1)..], out var mac) || !Base64Url.TryDecode(state[Prefix.Length..dot], out var payload)
            || payload.Length != PayloadBytes)
        {
            return OAuthStateCheck.Malformed;
        }

        if (!CryptographicOperations.FixedTimeEquals(mac, Mac(state[..dot])))
        {
            return OAuthStateCheck.Forged;
        }

        var issued = BinaryPrimitives.ReadInt64BigEndian(payload);
        var age = time.GetUtcNow().ToUnixTimeSeconds() - issued;
        if (age < -60 || age > (long)options.Value.OAuthStateLifetime.TotalSeconds)
        {
            return OAuthStateCheck.Expired;
        }

        Span<byte> bindingHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(browserBinding ?? ""), bindingHash);
        return CryptographicOperations.FixedTimeEquals(bindingHash, payload.AsSpan(sizeof(long)))
            ? OAuthStateCheck.Valid
            : OAuthStateCheck.WrongBrowser;
    }

    private byte[] Mac(string signedPart) =>
        HMACSHA256.HashData(_key.Value, Encoding.UTF8.GetBytes(Purpose + "\n" + signedPart));
}
