using System.Text.Json;
using System.Text.Json.Serialization;
using Digest.Subscriptions;

namespace Digest.Delivery.Queue;

/// <summary>
/// A <see cref="DeliveryRequest"/> as the body of a queue message: the conversation's three key parts and the plan's
/// time, never papers: the consumer leases the subscription's pending marker and reads its Pending rows, so a message
/// handled twice sends nothing twice.
/// </summary>
public static class DeliveryMessage
{
    /// <summary>The message body of a request.</summary>
    public static string Serialize(DeliveryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return JsonSerializer.Serialize(
            new DeliveryMessageBody(request.Key.ChannelId, request.Key.TenantId, request.Key.ConversationId, request.PlannedAt, request.NothingNote ? true : null),
            DeliveryMessageJsonContext.Default.DeliveryMessageBody);
    }

    /// <summary>The request a message body names.</summary>
    /// <exception cref="InvalidDeliveryMessageException">The body is not a delivery message.</exception>
    public static DeliveryRequest Parse(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        DeliveryMessageBody? message;
        try
        {
            message = JsonSerializer.Deserialize(body, DeliveryMessageJsonContext.Default.DeliveryMessageBody);
        }
        catch (JsonException e)
        {
            throw new InvalidDeliveryMessageException($"Not a delivery message: {e.Message}", e);
        }

        if (message is not { ChannelId.Length: > 0, ConversationId.Length: > 0 })
        {
            throw new InvalidDeliveryMessageException("Not a delivery message: it names no channel or conversation.");
        }

        return new DeliveryRequest(ConversationKey.Create(message.ChannelId, message.TenantId, message.ConversationId), message.PlannedAt) 
        {
            NothingNote = message.NothingNote == true,
        };
    }
}

/// <summary>A queue message that is not a delivery message; it fails every time and ends in the poison queue.</summary>
public sealed class InvalidDeliveryMessageException(string message, Exception? innerException = null) : Exception(message, innerException);

// NothingNote is left out unless set: a message without it is read as before. (A markerETag that messages once carried
// is ignored.)
internal sealed record DeliveryMessageBody(string ChannelId, string? TenantId, string ConversationId, DateTimeOffset PlannedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? NothingNote = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DeliveryMessageBody))]
internal sealed partial class DeliveryMessageJsonContext : JsonSerializerContext;
