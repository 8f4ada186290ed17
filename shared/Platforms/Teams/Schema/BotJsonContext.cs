using System.Text.Json;
using System.Text.Json.Serialization;

namespace Digest.Platforms.Teams.Schema;

/// <summary>Source-generated JSON for everything that crosses the Bot Framework wire: camelCase, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false,
    AllowDuplicateProperties = false,
    MaxDepth = 64)]
[JsonSerializable(typeof(Activity))]
[JsonSerializable(typeof(ResourceResponse))]
[JsonSerializable(typeof(ConversationParameters))]
[JsonSerializable(typeof(ConversationResourceResponse))]
[JsonSerializable(typeof(ConnectorErrorResponse))]
[JsonSerializable(typeof(ConversationReference))]
[JsonSerializable(typeof(OAuthTokenResponse))]
public sealed partial class BotJsonContext : JsonSerializerContext;

/// <summary>An OAuth 2 token endpoint answer (RFC 6749 §5.1).</summary>
public sealed record OAuthTokenResponse
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("token_type")]
    public string? TokenType { get; init; }

    [JsonPropertyName("expires_in")]
    public long? ExpiresIn { get; init; }
}

/// <summary>Reads activities with the limits of docs/protocols.md §2.5 B16.</summary>
public static class ActivityReader
{
    /// <summary>Parses a request body; null when it is not a JSON object (array, string, malformed, duplicate keys, too deep).</summary>
    public static Activity? TryRead(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64, CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            return JsonSerializer.Deserialize(body, BotJsonContext.Default.Activity);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
