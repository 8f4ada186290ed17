using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.Conversation;

/// <summary>Install and removal, as every platform reports them: a conversation's subscription row follows the app.</summary>
public sealed partial class ConversationLifecycle(SubscriptionStore store, ILogger<ConversationLifecycle> logger)
{
    /// <summary>The app was installed in a conversation (or added to it): records it, and returns the welcome for a
    /// first install (platforms announce an install more than once), or null.</summary>
    public async Task<Reply?> InstalledAsync(ConversationContact contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var before = await store.GetAsync(contact.Key, cancellationToken).ConfigureAwait(false);
        await store.RecordContactAsync(contact.Key, contact.Address, cancellationToken).ConfigureAwait(false);
        LogInstalled(logger, contact.Key.ToString());
        return before is null || !before.Installed
            ? new HelpReply("Hello! I send new Hugging Face Daily Papers that match your rules. Start with subscribe, then add a rule.", CommandRouter.Commands)
            : null;
    }

    /// <summary>A contact that only refreshes where deliveries reach the conversation (an app upgrade).</summary>
    public Task RecordContactAsync(ConversationContact contact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return store.RecordContactAsync(contact.Key, contact.Address, cancellationToken);
    }

    /// <summary>The app was removed from a conversation, or the platform says it is gone: deliveries stop, the
    /// subscription, rules and receipts are kept for a reinstall.</summary>
    public async Task RemovedAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (await store.GetAsync(key, cancellationToken).ConfigureAwait(false) is null)
        {
            return;
        }

        await store.UpdateAsync(key, null, current => current with { Installed = false }, cancellationToken).ConfigureAwait(false);
        LogRemoved(logger, key.ToString());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed in {Conversation}")]
    private static partial void LogInstalled(ILogger logger, string conversation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed from {Conversation}; subscription deactivated, data kept")]
    private static partial void LogRemoved(ILogger logger, string conversation);
}
