using System.Security.Cryptography;
using System.Text;

namespace Digest.Platforms.Slack;

/// <summary>The keys derived from <c>Slack:TokenEncryptionKey</c>: one secret, a separate key per purpose, so a value
/// made for one purpose (an encrypted token, a signed OAuth state) can never pass as another.</summary>
internal static class SlackKeys
{
    public const int KeyBytes = 32;

    public static bool TryDecode(string? base64, out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(base64))
        {
            return false;
        }

        var buffer = new byte[KeyBytes + 3];
        if (!Convert.TryFromBase64String(base64.Trim(), buffer, out var written) || written != KeyBytes)
        {
            return false;
        }

        key = buffer[..KeyBytes];
        return true;
    }

    /// <summary>HKDF-SHA256 of the configured key for one purpose; throws when Slack OAuth is not configured.</summary>
    public static byte[] Derive(SlackOptions options, string purpose)
    {
        if (!TryDecode(options.TokenEncryptionKey, out var master))
        {
            throw new InvalidOperationException("Slack:TokenEncryptionKey is not set to base64 of 32 bytes: Slack OAuth installs (encrypted tokens, signed state) are not available.");
        }

        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, master, KeyBytes, salt: [], info: Encoding.UTF8.GetBytes("digest/slack/" + purpose));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(master);
        }
    }
}
