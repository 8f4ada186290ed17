using System.ComponentModel.DataAnnotations;

namespace Digest.Subscriptions;

/// <summary>Configuration section <c>Subscriptions</c>. The tables are named by <see cref="Storage.StorageNames"/>.</summary>
public sealed class SubscriptionStoreOptions
{
    public const string SectionName = "Subscriptions";

    /// <summary>Most rules one conversation may have.</summary>
    [Range(1, 1000)]
    public int MaxRulesPerConversation { get; set; } = 50;
}
