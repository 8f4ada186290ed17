using Digest.Subscriptions;

namespace Digest.Conversation;

/// <summary>A conversation that spoke to Digest through a verified request: whose rules a command reads and changes
/// (<see cref="Key"/>), and where deliveries reach it (<see cref="Address"/>, refreshed on every contact since a
/// platform can move it).</summary>
public sealed record ConversationContact(ConversationKey Key, ConversationAddress Address);
