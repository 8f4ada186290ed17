using System.Text.Json;
using Digest.Platforms.Teams.Schema;
using Digest.Subscriptions;

namespace Digest.Platforms.Teams;

/// <summary>A Bot Framework conversation reference (docs/protocols.md) as a subscription's platform-neutral
/// <see cref="ConversationAddress"/>, and back.</summary>
public static class TeamsAddress
{
    public static ConversationAddress From(ConversationReference reference) =>
        new(ConversationPlatforms.BotFramework, JsonSerializer.Serialize(reference, BotJsonContext.Default.ConversationReference));

    /// <summary>The reference an address holds; the address must be a Bot Framework one.</summary>
    public static ConversationReference Read(ConversationAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Platform != ConversationPlatforms.BotFramework)
        {
            throw new ArgumentException($"A {address.Platform} address is not a Bot Framework conversation.", nameof(address));
        }

        return JsonSerializer.Deserialize(address.Reference, BotJsonContext.Default.ConversationReference)
            ?? throw new JsonException("The stored conversation reference is empty.");
    }
}
