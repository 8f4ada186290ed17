using System.ComponentModel.DataAnnotations;

namespace Digest.Subscriptions;

/// <summary>Configuration section <c>Subscriptions</c>: the table names.</summary>
public sealed class SubscriptionStoreOptions
{
    public const string SectionName = "Subscriptions";

    /// <summary>One row per conversation.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Subscriptions:SubscriptionsTable must be a valid table name: a letter, then 2-62 letters or digits.")]
    public string SubscriptionsTable { get; set; } = "subscriptions";

    /// <summary>The rules, partitioned by conversation.</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Subscriptions:RulesTable must be a valid table name: a letter, then 2-62 letters or digits.")]
    public string RulesTable { get; set; } = "rules";

    /// <summary>Most rules one conversation may have.</summary>
    [Range(1, 1000)]
    public int MaxRulesPerConversation { get; set; } = 50;
}
