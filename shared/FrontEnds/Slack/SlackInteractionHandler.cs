using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.Conversation.Commands;
using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>
/// Interactivity (bot-protocol.md §5.2.4): buttons in the app's messages (a command, answered through the
/// <c>response_url</c>), buttons in the App Home (a command on the person's own subscription or on a channel's they
/// manage (<see cref="SlackChannelManagers"/>), then the Home again;
/// the add-rule and mode modals through <c>views.open</c>), and the modals' submissions: a rule the parser refuses, or
/// a mode that is not one, is shown under its input (<c>response_action: errors</c>); an added rule turns the modal into
/// what the rule would have matched in the last days.
/// </summary>
public sealed partial class SlackInteractionHandler(
    CommandRouter commands,
    IRuleEngine rules,
    SubscriptionStore store,
    SlackReplyRenderer replies,
    SlackWebApiClient slack,
    ISlackBotTokens tokens,
    SlackHome home,
    SlackChannelManagers managers,
    SlackResponder responder,
    ILogger<SlackInteractionHandler> logger)
{
    /// <summary>Handles a verified interaction payload (the JSON of the form's <c>payload</c> field).</summary>
    public async Task<SlackAnswer> HandleAsync(JsonObject payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (Text(payload["team"], "id") is not { } team || Text(payload["user"], "id") is not { } user)
        {
            return SlackAnswer.BadRequest;
        }

        var enterprise = Text(payload["enterprise"], "id");
        return Text(payload, "type") switch
        {
            "block_actions" => await ActionAsync(payload, team, enterprise, user, cancellationToken).ConfigureAwait(false),
            "view_submission" => await SubmissionAsync(payload, team, enterprise, user, cancellationToken).ConfigureAwait(false),
            _ => SlackAnswer.Ok,
        };
    }

    private async Task<SlackAnswer> ActionAsync(JsonObject payload, string team, string? enterprise, string user, CancellationToken cancellationToken)
    {
        if (payload["actions"] is not JsonArray { Count: > 0 } actions || Text(actions[0], "action_id") is not { } actionId)
        {
            return SlackAnswer.BadRequest;
        }

        var value = Text(actions[0], "value") ?? "";
        var fromHome = Text(payload["view"], "type") == "home";
        if (actionId == SlackReplyRenderer.CommandAction && !fromHome && Text(payload["channel"], "id") is { } channel)
        {
            var work = AnswerButtonAsync(team, enterprise, channel, user, value, Text(payload, "response_url"));
            await responder.FinishesInTimeAsync(work, "a button").ConfigureAwait(false);
            return SlackAnswer.Ok;
        }

        if (actionId == SlackHomeView.ForgetChannelAction && fromHome && SlackHomeView.IsChannelId(value))
        {
            await managers.ForgetAsync(team, enterprise, user, value, cancellationToken).ConfigureAwait(false);
            PublishHomeLater(team, enterprise, user);
            return SlackAnswer.Ok;
        }

        if (actionId is not (SlackHomeView.CommandAction or SlackHomeView.AddRuleAction or SlackHomeView.ModeAction))
        {
            return SlackAnswer.Ok;
        }

        var (target, command) = SlackHomeView.ReadActionValue(value);
        if (await HomeContactAsync(team, enterprise, user, target, cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return SlackAnswer.Ok;
        }

        switch (actionId)
        {
            case SlackHomeView.CommandAction when fromHome:
                await commands.RunAsync(contact, command, cancellationToken).ConfigureAwait(false);
                PublishHomeLater(team, enterprise, user);
                break;
            case SlackHomeView.AddRuleAction:
                await OpenAsync(team, enterprise, Text(payload, "trigger_id"), SlackHomeView.AddRuleModal(target), cancellationToken).ConfigureAwait(false);
                break;
            case SlackHomeView.ModeAction:
                var current = await store.GetAsync(contact.Key, cancellationToken).ConfigureAwait(false);
                await OpenAsync(team, enterprise, Text(payload, "trigger_id"), SlackHomeView.ModeModal(target, current?.Mode ?? DeliveryMode.Instant), cancellationToken).ConfigureAwait(false);
                break;
            default:
                break;
        }

        return SlackAnswer.Ok;
    }

    // The subscription a Home action or modal is for: the person's own, or a channel's they manage in this workspace.
    // Anything else is refused (a value Slack would never send for this person: stale, or made up).
    private async Task<ConversationContact?> HomeContactAsync(string team, string? enterprise, string user, string? channel, CancellationToken cancellationToken)
    {
        if (channel is null)
        {
            return SlackContacts.Personal(team, enterprise, user);
        }

        if (await managers.ManagesAsync(team, enterprise, user, channel, cancellationToken).ConfigureAwait(false))
        {
            return SlackContacts.Channel(team, enterprise, channel);
        }

        LogNotManager(logger, user, channel, team);
        return null;
    }

    private async Task<SlackAnswer> SubmissionAsync(JsonObject payload, string team, string? enterprise, string user, CancellationToken cancellationToken)
    {
        var view = payload["view"] as JsonObject;
        if (await HomeContactAsync(team, enterprise, user, SlackHomeView.ModalChannel(view), cancellationToken).ConfigureAwait(false) is not { } contact)
        {
            return SlackAnswer.Ok;
        }

        switch (Text(view, "callback_id"))
        {
            case SlackHomeView.AddRuleCallback:
                var rule = (SlackHomeView.InputValue(view, SlackHomeView.RuleInput) ?? "").Trim();
                var check = rule.Length == 0 ? new RuleCheck("the rule is empty", 0) : await rules.CheckAsync(rule, cancellationToken).ConfigureAwait(false);
                if (!check.IsValid)
                {
                    return Errors(SlackHomeView.RuleInput, check.Error!);
                }

                var added = await commands.RunAsync(contact, "add " + rule, cancellationToken).ConfigureAwait(false);
                if (added.Reply is not PapersReply preview)
                {
                    // Refused for another reason (too long, too many rules): the command's own words.
                    return Errors(SlackHomeView.RuleInput, added.Summary);
                }

                PublishHomeLater(team, enterprise, user);
                return Update(SlackHomeView.AddedModal(preview.Heading, replies.PaperBlocks(preview.Papers)));
            case SlackHomeView.ModeCallback:
                var mode = (SlackHomeView.InputValue(view, SlackHomeView.ModeInput) ?? "").Trim();
                if (!ModeCommand.TryParse(mode, out _, out var error))
                {
                    return Errors(SlackHomeView.ModeInput, error.PlainText);
                }

                await commands.RunAsync(contact, "mode " + mode, cancellationToken).ConfigureAwait(false);
                PublishHomeLater(team, enterprise, user);
                return SlackAnswer.Ok; // an empty answer closes the modal
            default:
                return SlackAnswer.Ok;
        }
    }

    // The Home shows the change once published; the answer to Slack does not wait for it.
    private void PublishHomeLater(string team, string? enterprise, string user) =>
        responder.Forget(home.PublishAsync(team, enterprise, user, responder.Stopping), "publishing the Home");

    private async Task AnswerButtonAsync(string team, string? enterprise, string channel, string user, string command, string? responseUrl)
    {
        var contact = await managers.UsedAsync(team, enterprise, channel, user, responder.Stopping).ConfigureAwait(false);
        var result = await commands.RunAsync(contact, command, responder.Stopping).ConfigureAwait(false);
        if (responseUrl is null || !slack.IsAllowedResponseUrl(responseUrl))
        {
            LogNoResponseUrl(logger);
            return;
        }

        var message = replies.Render(result);
        await slack.PostToResponseUrlAsync(responseUrl, message, inChannel: false, replaceOriginal: false, responder.Stopping).ConfigureAwait(false);
    }

    private async Task OpenAsync(string team, string? enterprise, string? triggerId, JsonObject modal, CancellationToken cancellationToken)
    {
        if (triggerId is null || await tokens.GetAsync(team, enterprise, cancellationToken).ConfigureAwait(false) is not { } token)
        {
            LogCannotOpen(logger, team);
            return;
        }

        await slack.OpenViewAsync(token, triggerId, modal, cancellationToken).ConfigureAwait(false);
    }

    private static SlackAnswer Errors(string input, string message) => SlackAnswer.Json(new JsonObject
    {
        ["response_action"] = "errors",
        ["errors"] = new JsonObject { [input] = message.Length > 300 ? message[..299] + "…" : message },
    });

    private static SlackAnswer Update(JsonObject view) => SlackAnswer.Json(new JsonObject { ["response_action"] = "update", ["view"] = view });

    private static string? Text(JsonNode? json, string name) =>
        json is JsonObject obj && obj[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Slack button had no usable response_url: its answer is not shown")]
    private static partial void LogNoResponseUrl(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a Home action of {UserId} on channel {ChannelId} of {TeamId}: not a channel they manage")]
    private static partial void LogNotManager(ILogger logger, string userId, string channelId, string teamId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot open a Slack modal in {TeamId}: no trigger_id, or no bot token for the workspace")]
    private static partial void LogCannotOpen(ILogger logger, string teamId);
}
