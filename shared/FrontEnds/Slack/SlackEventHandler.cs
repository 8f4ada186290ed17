using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Digest.Conversation;
using Digest.Platforms.Slack;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>
/// The Events API (bot-protocol.md §5.2.3): <c>url_verification</c>; commands said to the app in a DM
/// (<c>message.im</c>) or by mentioning it (<c>app_mention</c>), answered with <c>chat.postMessage</c>;
/// <c>app_home_opened</c> (publish the Home); <c>app_uninstalled</c> and <c>tokens_revoked</c> (the workspace's
/// subscriptions stop, their data is kept). Each event is handled once whatever Slack retries
/// (<see cref="SlackEventLog"/>); messages from bots, the app's own included, are ignored, so the app never answers
/// itself.
/// </summary>
public sealed partial class SlackEventHandler(
    SlackEventLog events,
    CommandRouter commands,
    SlackReplyRenderer replies,
    SlackWebApiClient slack,
    ISlackBotTokens tokens,
    SlackHome home,
    SlackChannelManagers managers,
    SlackWorkspaces workspaces,
    SlackResponder responder,
    ILogger<SlackEventHandler> logger)
{
    /// <summary>Handles a verified Events API request; <paramref name="retryNumber"/> is <c>X-Slack-Retry-Num</c>.</summary>
    public async Task<SlackAnswer> HandleAsync(JsonObject envelope, int? retryNumber, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        switch (Text(envelope, "type"))
        {
            case "url_verification":
                return Text(envelope, "challenge") is { } challenge ? SlackAnswer.Json(new JsonObject { ["challenge"] = challenge }) : SlackAnswer.BadRequest;
            case "event_callback":
                break;
            default:
                return SlackAnswer.Ok;
        }

        if (Text(envelope, "event_id") is not { } eventId || !EventId().IsMatch(eventId)
            || Text(envelope, "team_id") is not { } team || envelope["event"] is not JsonObject slackEvent)
        {
            return SlackAnswer.BadRequest;
        }

        if (!await events.TryClaimAsync(eventId, cancellationToken).ConfigureAwait(false))
        {
            LogDuplicate(logger, eventId, retryNumber ?? 0);
            return SlackAnswer.Ok;
        }

        var enterprise = Text(envelope, "enterprise_id");
        var work = HandleOnceAsync(eventId, team, enterprise, slackEvent);
        await responder.FinishesInTimeAsync(work, "event " + eventId).ConfigureAwait(false);
        if (work.IsFaulted)
        {
            // Answered 500: the claim is released, so Slack's retry handles it.
            await work.ConfigureAwait(false);
        }

        return SlackAnswer.Ok;
    }

    private async Task HandleOnceAsync(string eventId, string team, string? enterprise, JsonObject slackEvent)
    {
        var cancellationToken = responder.Stopping;
        try
        {
            await DispatchAsync(team, enterprise, slackEvent, cancellationToken).ConfigureAwait(false);
        }
        catch (SlackApiException exception) when (exception.Kind != SlackErrorKind.Retry)
        {
            // Slack refused the answer for good (channel gone, not allowed): trying the event again cannot help.
            LogAnswerRefused(logger, eventId, exception.Error, exception);
        }
        catch (Exception)
        {
            await events.ReleaseAsync(eventId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await events.CompleteAsync(eventId, cancellationToken).ConfigureAwait(false);
    }

    private async Task DispatchAsync(string team, string? enterprise, JsonObject slackEvent, CancellationToken cancellationToken)
    {
        var user = Text(slackEvent, "user");
        var channel = Text(slackEvent, "channel");
        switch (Text(slackEvent, "type"))
        {
            case "app_mention" when user is not null && channel is not null && IsPerson(slackEvent):
                await AnswerAsync(team, enterprise, await managers.UsedAsync(team, enterprise, channel, user, cancellationToken).ConfigureAwait(false), channel, Text(slackEvent, "text"), cancellationToken).ConfigureAwait(false);
                break;
            case "message" when user is not null && channel is not null && IsPerson(slackEvent)
                && Text(slackEvent, "channel_type") == "im" && Text(slackEvent, "subtype") is null:
                await AnswerAsync(team, enterprise, SlackContacts.Personal(team, enterprise, user), channel, Text(slackEvent, "text"), cancellationToken).ConfigureAwait(false);
                break;
            case "app_home_opened" when user is not null && Text(slackEvent, "tab") == "home":
                await home.PublishAsync(team, enterprise, user, cancellationToken).ConfigureAwait(false);
                break;
            case "member_left_channel" when user is not null && channel is not null:
                // No longer in the channel, so no longer one who manages its alerts: off their Home, the subscription kept.
                await managers.ForgetAsync(team, enterprise, user, channel, cancellationToken).ConfigureAwait(false);
                break;
            case "app_uninstalled":
                await workspaces.DeactivateAsync(team, enterprise, cancellationToken).ConfigureAwait(false);
                break;
            case "tokens_revoked" when (slackEvent["tokens"]?["bot"]) is JsonArray { Count: > 0 }:
                // Only the bot's tokens matter; revoked user tokens (never asked for) change nothing.
                await workspaces.DeactivateAsync(team, enterprise, cancellationToken).ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    private async Task AnswerAsync(string team, string? enterprise, ConversationContact contact, string channel, string? text, CancellationToken cancellationToken)
    {
        // Without the workspace's own token nothing can be answered, and no other workspace's token is ever used.
        if (await tokens.GetAsync(team, enterprise, cancellationToken).ConfigureAwait(false) is not { } token)
        {
            LogNoToken(logger, team);
            return;
        }

        var command = SlackText.Command(text);
        var result = await commands.RunAsync(contact, command.Length == 0 ? "help" : command, cancellationToken).ConfigureAwait(false);
        var message = replies.Render(result);
        await slack.PostMessageAsync(token, team, channel, message, cancellationToken).ConfigureAwait(false);
    }

    // bot_id is set on every message a bot posted, this app's own answers included.
    private static bool IsPerson(JsonObject slackEvent) => slackEvent["bot_id"] is null && slackEvent["bot_profile"] is null;

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    [GeneratedRegex("^[A-Za-z0-9]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex EventId();

    [LoggerMessage(Level = LogLevel.Information, Message = "Slack event {EventId} was handled already (retry {RetryNumber}); acknowledged, not handled again")]
    private static partial void LogDuplicate(ILogger logger, string eventId, int retryNumber);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack workspace {TeamId} has no bot token (not installed, or uninstalled): the event is not answered")]
    private static partial void LogNoToken(ILogger logger, string teamId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack refused the answer to event {EventId}: {Error}")]
    private static partial void LogAnswerRefused(ILogger logger, string eventId, string error, Exception exception);
}
