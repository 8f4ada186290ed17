using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.Conversation.Commands;
using Digest.Platforms.Slack;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary>
/// Interactivity (bot-protocol.md §5.2.4): buttons in the app's messages (a command, answered through the
/// <c>response_url</c>), buttons in the App Home (a command on the person's own subscription, then the Home again;
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
        switch (actionId)
        {
            case SlackReplyRenderer.CommandAction when !fromHome && Text(payload["channel"], "id") is { } channel:
                var work = AnswerButtonAsync(SlackContacts.Of(team, enterprise, channel, user), value, Text(payload, "response_url"));
                await responder.FinishesInTimeAsync(work, "a button").ConfigureAwait(false);
                return SlackAnswer.Ok;
            case SlackHomeView.CommandAction when fromHome:
                await commands.RunAsync(SlackContacts.Personal(team, enterprise, user), value, cancellationToken).ConfigureAwait(false);
                responder.Forget(home.PublishAsync(team, enterprise, user, responder.Stopping), "publishing the Home");
                return SlackAnswer.Ok;
            case SlackHomeView.AddRuleAction:
                await OpenAsync(team, enterprise, Text(payload, "trigger_id"), SlackHomeView.AddRuleModal(), cancellationToken).ConfigureAwait(false);
                return SlackAnswer.Ok;
            case SlackHomeView.ModeAction:
                var current = await store.GetAsync(SlackContacts.Personal(team, enterprise, user).Key, cancellationToken).ConfigureAwait(false);
                await OpenAsync(team, enterprise, Text(payload, "trigger_id"), SlackHomeView.ModeModal(current?.Mode ?? DeliveryMode.Instant), cancellationToken).ConfigureAwait(false);
                return SlackAnswer.Ok;
            default:
                return SlackAnswer.Ok;
        }
    }

    private async Task<SlackAnswer> SubmissionAsync(JsonObject payload, string team, string? enterprise, string user, CancellationToken cancellationToken)
    {
        var view = payload["view"] as JsonObject;
        var contact = SlackContacts.Personal(team, enterprise, user);
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

                responder.Forget(home.PublishAsync(team, enterprise, user, responder.Stopping), "publishing the Home");
                return Update(SlackHomeView.AddedModal(preview.Heading, replies.PaperBlocks(preview.Papers)));
            case SlackHomeView.ModeCallback:
                var mode = (SlackHomeView.InputValue(view, SlackHomeView.ModeInput) ?? "").Trim();
                if (!ModeCommand.TryParse(mode, out _, out var error))
                {
                    return Errors(SlackHomeView.ModeInput, error.PlainText);
                }

                await commands.RunAsync(contact, "mode " + mode, cancellationToken).ConfigureAwait(false);
                responder.Forget(home.PublishAsync(team, enterprise, user, responder.Stopping), "publishing the Home");
                return SlackAnswer.Ok; // an empty answer closes the modal
            default:
                return SlackAnswer.Ok;
        }
    }

    private async Task AnswerButtonAsync(ConversationContact contact, string command, string? responseUrl)
    {
        var result = await commands.RunAsync(contact, command, responder.Stopping).ConfigureAwait(false);
        if (responseUrl is null || !slack.IsAllowedResponseUrl(responseUrl))
        {
            LogNoResponseUrl(logger);
            return;
        }

        var message = result.Reply is { } reply ? replies.Render(reply) : replies.Render(new TextReply(RichText.Plain(result.Summary)));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot open a Slack modal in {TeamId}: no trigger_id, or no bot token for the workspace")]
    private static partial void LogCannotOpen(ILogger logger, string teamId);
}
