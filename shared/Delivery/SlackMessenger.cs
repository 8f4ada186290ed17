using Azure;
using Digest.Platforms.Slack;
using Digest.Rules;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Delivery;

/// <summary>
/// Delivers papers to native Slack app conversations (<see cref="SlackAddress"/>) as Block Kit through
/// <c>chat.postMessage</c>, with the workspace's bot token from <see cref="ISlackBotTokens"/>. The client paces each
/// channel to one message per <c>Slack:ChannelMessageInterval</c> and retries 429 (after its <c>Retry-After</c>) and 5xx.
/// </summary>
/// <remarks>
/// What a failure means for the subscription:
/// <list type="bullet">
/// <item><c>channel_not_found</c>, <c>not_in_channel</c>, <c>is_archived</c>: the channel is gone or the app is not in
/// it: <see cref="DeliveryFailureKind.ConversationGone"/> (deactivated, data kept; someone resumes after inviting the
/// app back).</item>
/// <item><c>token_revoked</c>, <c>account_inactive</c>, <c>app_uninstalled</c>, or no token for the workspace: the
/// installation is gone: <see cref="DeliveryFailureKind.ConversationGone"/>, and the installation is marked revoked so
/// the workspace's other channels are not tried with a dead token.</item>
/// <item><c>invalid_auth</c>, <c>not_authed</c>, a stored token that does not decrypt: not proof the installation is gone
/// (a wrong <c>Slack:BotToken</c>, a changed <c>Slack:TokenEncryptionKey</c>, an IP allow-list cause them too), so
/// nothing is deactivated. When the refused credential is the app's own (<c>Slack:BotToken</c>, the encryption key), as
/// a 401 of the Bot Connector: <see cref="DeliveryFailureKind.Unauthorized"/>, the run's other Slack sends stop, no
/// attempt is counted against the papers. When it is one OAuth workspace's token: <see cref="DeliveryFailureKind.Transient"/>,
/// so the other workspaces still get theirs and that workspace's papers become dead letters after
/// <c>Delivery:MaxAttempts</c> unless it recovers.</item>
/// <item>Everything else (<c>ratelimited</c> beyond the client's patience, 5xx, timeouts, <c>token_expired</c>, a refused
/// payload such as <c>invalid_blocks</c>): <see cref="DeliveryFailureKind.Transient"/>: the papers stay Pending, one
/// attempt nearer to becoming dead letters.</item>
/// </list>
/// </remarks>
public sealed partial class SlackMessenger(
    SlackWebApiClient slack,
    ISlackBotTokens tokens,
    BlockKitRenderer renderer,
    IOptions<SlackOptions> options,
    ILogger<SlackMessenger> logger) : IPlatformMessenger
{
    public string Platform => ConversationPlatforms.Slack;

    public IReadOnlyList<IReadOnlyList<MatchedPaper>> Split(string heading, IReadOnlyList<MatchedPaper> papers, int maxPerMessage)
    {
        ArgumentNullException.ThrowIfNull(papers);
        var sizes = renderer.MessageSizes([.. papers.Select(Item)], maxPerMessage);
        var messages = new List<IReadOnlyList<MatchedPaper>>(sizes.Count);
        var offset = 0;
        foreach (var size in sizes)
        {
            messages.Add([.. papers.Skip(offset).Take(size)]);
            offset += size;
        }

        return messages;
    }

    /// <summary>Posts one Block Kit message; returns its <c>ts</c>.</summary>
    public Task<string?> SendAsync(ConversationAddress address, string heading, IReadOnlyList<MatchedPaper> papers, (string Title, string Command)? more, CancellationToken cancellationToken) =>
        PostAsync(address, renderer.Message(heading, [.. papers.Select(Item)], more), cancellationToken);

    /// <summary>Posts a note as plain text; returns its <c>ts</c>.</summary>
    public Task<string?> SendNoteAsync(ConversationAddress address, string text, CancellationToken cancellationToken) =>
        PostAsync(address, BlockKitRenderer.Note(text), cancellationToken);

    private async Task<string?> PostAsync(ConversationAddress address, SlackMessage message, CancellationToken cancellationToken)
    {
        var conversation = SlackAddress.Read(address);
        if (!options.Value.Enabled)
        {
            // A deployment that lost its Slack settings must not deactivate every Slack subscription.
            throw new DeliveryFailedException(DeliveryFailureKind.Transient, "Slack is not configured here (Slack:SigningSecret); the papers stay Pending.",
                new InvalidOperationException("Slack is not configured."));
        }

        try
        {
            var token = await tokens.GetAsync(conversation.TeamId, conversation.EnterpriseId, cancellationToken).ConfigureAwait(false);
            if (token is null)
            {
                throw new DeliveryFailedException(DeliveryFailureKind.ConversationGone, $"The Slack app is not installed in workspace {conversation.TeamId} any more.",
                    new InvalidOperationException("No bot token for the workspace."));
            }

            var posted = await slack.PostMessageAsync(token, conversation.TeamId, conversation.Channel, message, cancellationToken).ConfigureAwait(false);
            return posted.Ts;
        }
        catch (SlackApiException exception)
        {
            if (exception.Kind == SlackErrorKind.DeactivateInstallation)
            {
                await ForgetInstallationAsync(conversation, cancellationToken).ConfigureAwait(false);
            }

            var kind = exception.Kind switch
            {
                SlackErrorKind.DeactivateChannel or SlackErrorKind.DeactivateInstallation => DeliveryFailureKind.ConversationGone,
                SlackErrorKind.Unauthorized when IsTheAppsCredential(exception) => DeliveryFailureKind.Unauthorized,
                _ => DeliveryFailureKind.Transient,
            };
            throw new DeliveryFailedException(kind, exception.Message, exception)
            {
                Throttled = exception.StatusCode == 429 || exception.Error is "ratelimited" or "rate_limited",
            };
        }
    }

    // Every delivered paper carries the feedback buttons; their clicks come back as commands.
    private static SlackPaperItem Item(MatchedPaper paper) => new(paper.Paper, paper.Highlights, FeedbackButtons.For(paper.Paper.Id));

    // Slack:BotToken and Slack:TokenEncryptionKey serve every Slack subscription: one refusal means all would fail. An
    // OAuth workspace's own token refused says nothing about the other workspaces.
    private bool IsTheAppsCredential(SlackApiException exception) =>
        !string.IsNullOrWhiteSpace(options.Value.BotToken) || exception.Error == "stored_token_unreadable";

    private async Task ForgetInstallationAsync(SlackConversation conversation, CancellationToken cancellationToken)
    {
        try
        {
            await tokens.RevokeAsync(conversation.TeamId, conversation.EnterpriseId, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException exception)
        {
            // The subscription is deactivated all the same; its workspace's other channels find out from Slack.
            LogRevokeFailed(logger, conversation.TeamId, exception);
        }
    }

    [LoggerMessage(EventId = 1871, Level = LogLevel.Warning, Message = "Slack revoked the app in {Team}, and marking its installation revoked failed")]
    private static partial void LogRevokeFailed(ILogger logger, string team, Exception exception);
}
