using Azure;
using Azure.Data.Tables;
using Digest.Caching;
using Digest.Conversation;
using Digest.Storage;

namespace Digest.FrontEnds.Slack;

/// <summary>
/// The channels whose alerts a person manages from their App Home. In Slack anyone who can type <c>/digest</c> in a
/// channel manages that channel's subscription there, so a person who did (or mentioned the app, or clicked one of its
/// buttons there) gets the same from the Home: the channel is recorded for them, and a Home action on a channel is
/// carried out only for a person it is recorded for, in the same workspace. One row per (person, channel): partition
/// = the person's own subscription key, row = the channel's subscription key.
/// </summary>
public sealed class SlackChannelManagers(DigestStorage storage, TimeProvider time)
{
    /// <summary>The most channels one Home lists (the most recently used first); the Home has room for about that many.</summary>
    public const int MaxChannels = 20;

    // A busy channel's commands then cost one write per person every ten minutes, not one per command.
    private static readonly TimeSpan RecordedWindow = TimeSpan.FromMinutes(10);

    private readonly RecentMap<(string Person, string Channel), bool> _recorded = new(RecordedWindow, 100_000, time);

    /// <summary>The subscription a person's use of the app in a conversation speaks for (<see cref="SlackContacts.Of"/>);
    /// a channel is recorded as one they manage, since whoever uses the app there manages its alerts.</summary>
    public async Task<ConversationContact> UsedAsync(string teamId, string? enterpriseId, string channelId, string userId, CancellationToken cancellationToken)
    {
        await RecordAsync(teamId, enterpriseId, userId, channelId, cancellationToken).ConfigureAwait(false);
        return SlackContacts.Of(teamId, enterpriseId, channelId, userId);
    }

    // Records that the person used the app in the channel (not for DMs: those are the person's own).
    private async Task RecordAsync(string teamId, string? enterpriseId, string userId, string channelId, CancellationToken cancellationToken)
    {
        var (person, channel) = Keys(teamId, enterpriseId, userId, channelId);
        if (SlackContacts.IsDirectMessage(channelId) || _recorded.TryGetValue((person, channel), out _))
        {
            return;
        }

        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var row = new TableEntity(person, channel) { ["ChannelId"] = channelId, ["UsedAt"] = time.GetUtcNow() };
        await storage.SlackManagers.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        _recorded.Set((person, channel), true);
    }

    /// <summary>Takes the channel off the person's Home (they left it, or do not care for it there); its subscription is
    /// untouched, and their next use of the app in the channel records it again.</summary>
    public async Task ForgetAsync(string teamId, string? enterpriseId, string userId, string channelId, CancellationToken cancellationToken)
    {
        var (person, channel) = Keys(teamId, enterpriseId, userId, channelId);
        _recorded.Remove((person, channel));
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await storage.SlackManagers.DeleteEntityAsync(person, channel, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            // not on the Home already
        }
    }

    /// <summary>Whether the person may manage the channel's subscription from their Home.</summary>
    public async Task<bool> ManagesAsync(string teamId, string? enterpriseId, string userId, string channelId, CancellationToken cancellationToken)
    {
        var (person, channel) = Keys(teamId, enterpriseId, userId, channelId);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var row = await storage.SlackManagers.GetEntityIfExistsAsync<TableEntity>(person, channel, select: ["ChannelId"], cancellationToken: cancellationToken).ConfigureAwait(false);
        // The row key is a hash; the id stored beside it is compared, as the subscription store does.
        return row.HasValue && row.Value!.GetString("ChannelId") == channelId;
    }

    /// <summary>The channel ids the person manages, the most recently used first, at most <see cref="MaxChannels"/>.</summary>
    public async Task<IReadOnlyList<string>> ChannelsAsync(string teamId, string? enterpriseId, string userId, CancellationToken cancellationToken)
    {
        var person = SlackContacts.Personal(teamId, enterpriseId, userId).Key.PartitionKey;
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var rows = await storage.SlackManagers.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {person}"), maxPerPage: 1000, cancellationToken: cancellationToken)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.OrderByDescending(row => row.GetDateTimeOffset("UsedAt")).Select(row => row.GetString("ChannelId")).OfType<string>().Take(MaxChannels)];
    }

    private static (string Person, string Channel) Keys(string teamId, string? enterpriseId, string userId, string channelId) =>
        (SlackContacts.Personal(teamId, enterpriseId, userId).Key.PartitionKey, SlackContacts.Channel(teamId, enterpriseId, channelId).Key.PartitionKey);
}
