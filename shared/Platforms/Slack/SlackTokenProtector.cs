using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Digest.Platforms.Slack;

/// <summary>Encrypts a workspace's bot and refresh tokens for storage: AES-256-GCM under a key derived from
/// <c>Slack:TokenEncryptionKey</c>, a random nonce per value, and the team (or Enterprise Grid org) id as associated
/// data, so a ciphertext copied into another team's row does not decrypt. Format: <c>v1.</c> + base64url(nonce ‖
/// ciphertext ‖ tag); the version prefix leaves room for a new key or algorithm.</summary>
public sealed class SlackTokenProtector(IOptions<SlackOptions> options)
{
    private const string Prefix = "v1.";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly Lazy<byte[]> _key = new(() => SlackKeys.Derive(options.Value, "token-encryption/v1"));

    /// <summary>The stored form of <paramref name="token"/> for the row of <paramref name="teamId"/>.</summary>
    /// <exception cref="InvalidOperationException">Slack:TokenEncryptionKey is not configured.</exception>
    public string Protect(string teamId, string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        ArgumentException.ThrowIfNullOrEmpty(token);
        var plaintext = Encoding.UTF8.GetBytes(token);
        var sealedValue = new byte[NonceBytes + plaintext.Length + TagBytes];
        var nonce = sealedValue.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_key.Value, TagBytes))
        {
            aes.Encrypt(nonce, plaintext, sealedValue.AsSpan(NonceBytes, plaintext.Length), sealedValue.AsSpan(NonceBytes + plaintext.Length), AssociatedData(teamId));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        return Prefix + Base64Url.Encode(sealedValue);
    }

    /// <summary>The token of a stored value, or false when the value is not ours, was changed, or belongs to
    /// another team's row.</summary>
    /// <exception cref="InvalidOperationException">Slack:TokenEncryptionKey is not configured.</exception>
    public bool TryUnprotect(string teamId, string protectedToken, [NotNullWhen(true)] out string? token)
    {
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        ArgumentNullException.ThrowIfNull(protectedToken);
        token = null;
        if (!protectedToken.StartsWith(Prefix, StringComparison.Ordinal) || !Base64Url.TryDecode(protectedToken[Prefix.Length..], out var sealedValue)
            || sealedValue.Length <= NonceBytes + TagBytes)
        {
            return false;
        }

        var length = sealedValue.Length - NonceBytes - TagBytes;
        var plaintext = new byte[length];
        try
        {
            using var aes = new AesGcm(_key.Value, TagBytes);
            aes.Decrypt(sealedValue.AsSpan(0, NonceBytes), sealedValue.AsSpan(NonceBytes, length), sealedValue.AsSpan(NonceBytes + length), plaintext, AssociatedData(teamId));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        token = Encoding.UTF8.GetString(plaintext);
        CryptographicOperations.ZeroMemory(plaintext);
        return true;
    }

    private static byte[] AssociatedData(string teamId) => Encoding.UTF8.GetBytes("digest/slack/token/v1/" + teamId);
}

/// <summary>Unpadded base64url, for values that travel in URLs and table columns.</summary>
internal static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        // TryDecodeFromChars throws, rather than answering false, on a character outside the alphabet.
        if (text.Length == 0 || text.Length > 64 * 1024 || !System.Buffers.Text.Base64Url.IsValid(text))
        {
            return false;
        }

        var buffer = new byte[System.Buffers.Text.Base64Url.GetMaxDecodedLength(text.Length)];
        if (!System.Buffers.Text.Base64Url.TryDecodeFromChars(text, buffer, out var written))
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }
}
