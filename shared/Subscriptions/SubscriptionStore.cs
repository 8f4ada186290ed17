using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Digest.Caching;
using Digest.Storage;
using Microsoft.Extensions.Options;

namespace Digest.Subscriptions;

/// <summary>Subscriptions and rules in Table Storage. Every method takes the <see cref="ConversationKey"/> of the
/// verified activity, so a conversation reads and changes only its own rows; every query is built with
/// <see cref="TableClient.CreateQueryFilter(FormattableString)"/>. The tables are <see cref="DigestStorage.Subscriptions"/> and
/// <see cref="DigestStorage.Rules"/>; each read or first write makes sure they exist (<see cref="DigestStorage.EnsureCreatedAsync"/>,
/// free once done), so a bot that started while storage was down recovers when it comes back.</summary>
public sealed class SubscriptionStore
{
    private const string SubscriptionRowKey = "subscription";
    private const int MaxConcurrencyRetries = 5;

    private readonly DigestStorage _storage;
    private readonly TableClient _subscriptions;
    private readonly TableClient _rules;
    private readonly SubscriptionStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly RecentMap<ConversationKey, ConversationAddress> _recentContacts;

    public SubscriptionStore(DigestStorage storage, IOptions<SubscriptionStoreOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _storage = storage;
        _subscriptions = storage.Subscriptions;
        _rules = storage.Rules;
        _time = time;
        _recentContacts = new RecentMap<ConversationKey, ConversationAddress>(ContactMemoryWindow, 100_000, time);
    }

    public async Task<Subscription?> GetAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var entity = await _subscriptions.GetEntityIfExistsAsync<TableEntity>(key.PartitionKey, SubscriptionRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity.HasValue && entity.Value is { } row ? ToSubscription(key, row) : null;
    }

    /// <summary>How long a contact's <see cref="Subscription.VerifiedAt"/> stands before a request with the same address
    /// writes it again: a command in a busy conversation then costs one read, not a read and a write.</summary>
    public static readonly TimeSpan ContactRefreshInterval = TimeSpan.FromHours(1);

    /// <summary>How long a contact this process recorded stands for <see cref="RecordedRecently"/>: a busy conversation's
    /// commands then cost no storage request at all. Short, because another process (the notifier, another bot instance)
    /// can deactivate the subscription meanwhile; the contact after this window installs it again.</summary>
    public static readonly TimeSpan ContactMemoryWindow = TimeSpan.FromMinutes(1);

    /// <summary>Creates the conversation's row or refreshes its address (a platform can move it) from a verified
    /// request; marks it installed. Writes only when something changed or <see cref="ContactRefreshInterval"/> passed.</summary>
    public async Task<Subscription> RecordContactAsync(ConversationKey key, ConversationAddress address, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var subscription = await UpdateAsync(
            key,
            address,
            current => current is { Installed: true, Version: not null } && current.Address == address && now - current.VerifiedAt < ContactRefreshInterval
                ? current
                : current with { Address = address, Installed = true, VerifiedAt = now },
            cancellationToken).ConfigureAwait(false);
        _recentContacts.Set(key, address);
        return subscription;
    }

    /// <summary>True when this process recorded this very contact (<see cref="RecordContactAsync"/>) within
    /// <see cref="ContactMemoryWindow"/> and has not deactivated the subscription since: recording it again would
    /// change nothing.</summary>
    public bool RecordedRecently(ConversationKey key, ConversationAddress address) =>
        _recentContacts.TryGetValue(key, out var recorded) && recorded == address;

    /// <summary>Claims the "nothing matched" note of the period delivered at <paramref name="period"/>: true when this
    /// call recorded it (no note was claimed for it or a later period), false when one was, so that a request handled twice
    /// (a redelivered queue message, two processes) sends one note.</summary>
    public async Task<bool> TryClaimNothingNoteAsync(ConversationKey key, DateTimeOffset period, CancellationToken cancellationToken)
    {
        var claimed = false;
        await UpdateAsync(key, null, current =>
        {
            claimed = current.NothingNotedFor is not { } noted || noted < period;
            return claimed ? current with { NothingNotedFor = period } : current;
        }, cancellationToken).ConfigureAwait(false);
        return claimed;
    }

    /// <summary>Applies a change to an existing (or, with a reference, new) subscription with optimistic concurrency; a
    /// change that returns the subscription it was given (the same instance) writes nothing.</summary>
    public async Task<Subscription> UpdateAsync(ConversationKey key, ConversationAddress? addressForNew, Func<Subscription, Subscription> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(change);
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var existing = await _subscriptions.GetEntityIfExistsAsync<TableEntity>(key.PartitionKey, SubscriptionRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            Subscription current;
            if (existing.HasValue && existing.Value is { } row)
            {
                current = ToSubscription(key, row);
            }
            else if (addressForNew is not null)
            {
                var now = _time.GetUtcNow();
                current = new Subscription { Key = key, Address = addressForNew, CreatedAt = now, VerifiedAt = now };
            }
            else
            {
                throw new InvalidOperationException($"No subscription row for conversation {key}.");
            }

            var updated = change(current);
            if (ReferenceEquals(updated, current) && current.Version is not null)
            {
                return current;
            }

            var entity = ToEntity(updated);
            try
            {
                var response = existing.HasValue && existing.Value is { } previous
                    ? await _subscriptions.UpdateEntityAsync(entity, previous.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false)
                    : await _subscriptions.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
                if (!updated.Installed)
                {
                    _recentContacts.Remove(key);
                }

                return updated with { Version = response.Headers.ETag };
            }
            catch (RequestFailedException exception) when (exception.Status is 409 or 412 && attempt < MaxConcurrencyRetries)
            {
                // Another request changed the row in between: read it again and re-apply the change.
            }
        }
    }

    /// <summary>Subscriptions that should receive papers now (installed, subscribed, not paused).</summary>
    public IAsyncEnumerable<Subscription> ListActiveAsync(CancellationToken cancellationToken) =>
        ListAsync(TableClient.CreateQueryFilter($"RowKey eq {SubscriptionRowKey} and Subscribed eq {true} and Paused eq {false} and Installed eq {true}"), cancellationToken);

    /// <summary>Every subscription, whatever its state.</summary>
    public IAsyncEnumerable<Subscription> ListAllAsync(CancellationToken cancellationToken) =>
        ListAsync(TableClient.CreateQueryFilter($"RowKey eq {SubscriptionRowKey}"), cancellationToken);

    private async IAsyncEnumerable<Subscription> ListAsync(string filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in _subscriptions.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var key = ConversationKey.Create(row.GetString("ChannelId"), row.GetString("TenantId"), row.GetString("ConversationId"));
            if (key.PartitionKey == row.PartitionKey)
            {
                yield return ToSubscription(key, row);
            }
        }
    }

    /// <summary>The conversation's rules, numbered 1.. in creation order.</summary>
    public async Task<IReadOnlyList<StoredRule>> ListRulesAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {key.PartitionKey}");
        var rows = await _rules.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        return Numbered(key, rows);
    }

    /// <summary>The rules of many conversations, read in one scan of the table (a page per 1,000 rules) instead of a
    /// query per conversation; a conversation without rules is absent from the result.</summary>
    public async Task<Dictionary<ConversationKey, IReadOnlyList<StoredRule>>> ListRulesOfAsync(IEnumerable<ConversationKey> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var byPartition = keys.ToDictionary(key => key.PartitionKey, StringComparer.Ordinal);
        var rows = new Dictionary<string, List<TableEntity>>(StringComparer.Ordinal);
        await foreach (var row in _rules.QueryAsync<TableEntity>(maxPerPage: 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (byPartition.ContainsKey(row.PartitionKey))
            {
                (rows.TryGetValue(row.PartitionKey, out var list) ? list : rows[row.PartitionKey] = []).Add(row);
            }
        }

        return rows.ToDictionary(pair => byPartition[pair.Key], pair => Numbered(byPartition[pair.Key], pair.Value));
    }

    // A hash collision would be astronomically unlikely; the stored originals make it impossible to exploit.
    private static IReadOnlyList<StoredRule> Numbered(ConversationKey key, IEnumerable<TableEntity> rows) =>
        [.. rows.Where(row => row.GetString("ConversationId") == key.ConversationId && row.GetString("TenantId") == key.TenantId)
            .OrderBy(row => row.RowKey, StringComparer.Ordinal)
            .Select((row, index) => new StoredRule(index + 1, row.RowKey, row.GetString("Text"), row.GetDateTimeOffset("CreatedAt") ?? default))];

    /// <summary>Adds a rule; null when the conversation already has the most rules allowed.</summary>
    public async Task<StoredRule?> AddRuleAsync(ConversationKey key, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var existing = await ListRulesAsync(key, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= _options.MaxRulesPerConversation)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        // Sortable by creation: ticks first, then a random suffix so two rules in one tick never collide.
        var rowKey = string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks:D19}-{Guid.NewGuid():N}");
        var entity = new TableEntity(key.PartitionKey, rowKey)
        {
            ["Text"] = text,
            ["CreatedAt"] = now,
            ["ChannelId"] = key.ChannelId,
            ["TenantId"] = key.TenantId,
            ["ConversationId"] = key.ConversationId,
        };
        await _rules.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        return new StoredRule(existing.Count + 1, rowKey, text, now);
    }

    /// <summary>Adds the rules of a conversation known to have none yet (a migration, a benchmark's seeding) in one
    /// transaction, without reading its rules first; the limit applies to the rules given.</summary>
    public async Task ImportRulesAsync(ConversationKey key, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(texts);
        if (texts.Count > _options.MaxRulesPerConversation)
        {
            throw new ArgumentException($"At most {_options.MaxRulesPerConversation} rules per conversation.", nameof(texts));
        }

        await _storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var actions = texts.Select((text, index) => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(key.PartitionKey, string.Create(CultureInfo.InvariantCulture, $"{now.UtcTicks + index:D19}-{Guid.NewGuid():N}"))
        {
            ["Text"] = text,
            ["CreatedAt"] = now,
            ["ChannelId"] = key.ChannelId,
            ["TenantId"] = key.TenantId,
            ["ConversationId"] = key.ConversationId,
        })).ToList();
        if (actions.Count > 0)
        {
            await _rules.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the rule numbered <paramref name="number"/> (as <see cref="ListRulesAsync"/> numbers them).</summary>
    public async Task<StoredRule?> RemoveRuleAsync(ConversationKey key, int number, CancellationToken cancellationToken)
    {
        var rules = await ListRulesAsync(key, cancellationToken).ConfigureAwait(false);
        if (number < 1 || number > rules.Count)
        {
            return null;
        }

        var rule = rules[number - 1];
        await _rules.DeleteEntityAsync(key.PartitionKey, rule.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        return rule;
    }

    /// <summary>Removes the rule whose <see cref="StoredRule.RowKey"/> is <paramref name="ruleId"/> (what a rules card's
    /// button names, so a stale card never removes another rule); null when the conversation has no such rule (any more).
    /// The returned rule carries the number it had just before.</summary>
    public async Task<StoredRule?> RemoveRuleByIdAsync(ConversationKey key, string ruleId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ruleId);
        // Looked up among the conversation's own rules: the id the user sent never reaches the table as a key.
        var rule = (await ListRulesAsync(key, cancellationToken).ConfigureAwait(false)).FirstOrDefault(rule => string.Equals(rule.RowKey, ruleId, StringComparison.Ordinal));
        if (rule is null)
        {
            return null;
        }

        try
        {
            await _rules.DeleteEntityAsync(key.PartitionKey, rule.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            return null; // removed in between by another click
        }

        return rule;
    }

    private static TableEntity ToEntity(Subscription subscription)
    {
        var key = subscription.Key;
        return new TableEntity(key.PartitionKey, SubscriptionRowKey)
        {
            ["ChannelId"] = key.ChannelId,
            ["TenantId"] = key.TenantId,
            ["ConversationId"] = key.ConversationId,
            ["Platform"] = subscription.Address.Platform,
            ["Reference"] = subscription.Address.Reference,
            ["Subscribed"] = subscription.Subscribed,
            ["Paused"] = subscription.Paused,
            ["Installed"] = subscription.Installed,
            ["Mode"] = subscription.Mode.Cadence.ToString(),
            ["DailyAt"] = subscription.Mode.DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture),
            ["TimeZone"] = subscription.Mode.TimeZoneId,
            ["WeeklyOn"] = subscription.Mode.WeeklyOn?.ToString(),
            ["QuietDays"] = subscription.QuietDays is { } quiet ? string.Join(',', quiet.Days) : null,
            ["QuietTimeZone"] = subscription.QuietDays?.TimeZoneId,
            ["MessageLimit"] = subscription.MessageLimit,
            ["NothingMatchedNote"] = subscription.NothingMatchedNote,
            ["NothingNotedFor"] = subscription.NothingNotedFor,
            ["FeedbackCount"] = subscription.FeedbackCount,
            ["DeliveryWatermark"] = subscription.DeliveryWatermark,
            ["VerifiedAt"] = subscription.VerifiedAt,
            ["CreatedAt"] = subscription.CreatedAt,
        };
    }

    private static Subscription ToSubscription(ConversationKey key, TableEntity row)
    {
        if (row.GetString("ConversationId") != key.ConversationId || row.GetString("TenantId") != key.TenantId || row.GetString("ChannelId") != key.ChannelId)
        {
            throw new InvalidOperationException("A subscription row does not belong to the conversation its key names.");
        }

        // Rows from before Slack carry no platform: they are all Bot Framework conversations.
        var address = new ConversationAddress(
            row.GetString("Platform") ?? ConversationPlatforms.BotFramework,
            row.GetString("Reference") ?? throw new InvalidOperationException("A subscription row has no conversation reference."));
        var cadence = Enum.TryParse<DeliveryCadence>(row.GetString("Mode"), out var parsed) ? parsed : DeliveryCadence.Instant;
        var hasTime = TimeOnly.TryParseExact(row.GetString("DailyAt"), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at);
        var mode = (cadence, hasTime, Enum.TryParse<DayOfWeek>(row.GetString("WeeklyOn"), out var day)) switch
        {
            (DeliveryCadence.Daily, true, _) => new DeliveryMode(DeliveryCadence.Daily, at, row.GetString("TimeZone")),
            (DeliveryCadence.Weekly, true, true) => new DeliveryMode(DeliveryCadence.Weekly, at, row.GetString("TimeZone"), day),
            _ => DeliveryMode.Instant,
        };
        var quietDays = row.GetString("QuietDays") is { Length: > 0 } days && row.GetString("QuietTimeZone") is { } quietZone
            ? new QuietDays([.. days.Split(',').Select(name => Enum.Parse<DayOfWeek>(name))], quietZone)
            : null;
        return new Subscription
        {
            Key = key,
            Address = address,
            Subscribed = row.GetBoolean("Subscribed") ?? false,
            Paused = row.GetBoolean("Paused") ?? false,
            Installed = row.GetBoolean("Installed") ?? true,
            Mode = mode,
            QuietDays = quietDays,
            MessageLimit = row.GetInt32("MessageLimit") is { } limit and >= 1 and <= Subscription.MaxMessageLimit ? limit : null,
            NothingMatchedNote = row.GetBoolean("NothingMatchedNote") ?? false,
            NothingNotedFor = row.GetDateTimeOffset("NothingNotedFor"),
            FeedbackCount = row.GetInt32("FeedbackCount") ?? 0,
            DeliveryWatermark = row.GetDateTimeOffset("DeliveryWatermark"),
            VerifiedAt = row.GetDateTimeOffset("VerifiedAt") ?? default,
            CreatedAt = row.GetDateTimeOffset("CreatedAt") ?? default,
            Version = row.ETag,
        };
    }
}
