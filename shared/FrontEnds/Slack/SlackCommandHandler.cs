using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.Platforms.Slack;
using Microsoft.Extensions.Logging;

namespace Digest.FrontEnds.Slack;

/// <summary><c>/digest &lt;command&gt;</c> (bot-protocol.md §5.2.2): the command core's commands for the channel it was
/// typed in (in a DM, the person's own subscription). The reply is the request's answer, ephemeral, when the command
/// finishes within <see cref="SlackFrontEndOptions.ReplyWithin"/>; otherwise the answer says so and the reply follows
/// through the <c>response_url</c>.</summary>
public sealed partial class SlackCommandHandler(
    CommandRouter commands,
    SlackReplyRenderer replies,
    SlackWebApiClient slack,
    SlackResponder responder,
    SlackChannelManagers managers,
    ILogger<SlackCommandHandler> logger)
{
    /// <summary>Handles a verified slash command's form fields.</summary>
    public async Task<SlackAnswer> HandleAsync(IReadOnlyDictionary<string, string> form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (Field(form, "team_id") is not { } team || Field(form, "channel_id") is not { } channel || Field(form, "user_id") is not { } user)
        {
            return SlackAnswer.BadRequest;
        }

        var text = SlackText.Command(form.GetValueOrDefault("text"));
        var work = RunAsync(team, Field(form, "enterprise_id"), channel, user, text.Length == 0 ? "help" : text);
        if (await responder.FinishesInTimeAsync(work, "a slash command").ConfigureAwait(false))
        {
            return SlackAnswer.Json(Ephemeral(await work.ConfigureAwait(false)));
        }

        if (Field(form, "response_url") is { } responseUrl && slack.IsAllowedResponseUrl(responseUrl))
        {
            responder.Forget(FollowUpAsync(work, responseUrl), "a slash command's reply");
        }
        else
        {
            LogNoResponseUrl(logger, team);
        }

        return SlackAnswer.Json(Ephemeral(RichText.Plain("Working on it…")));
    }

    /// <summary>A command's result as the ephemeral message Slack shows the person who typed it.</summary>
    public JsonObject Ephemeral(CommandResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Ephemeral(replies.Render(result));
    }

    private JsonObject Ephemeral(RichText text) => Ephemeral(replies.Render(new TextReply(text)));

    private static JsonObject Ephemeral(SlackMessage message) => new()
    {
        ["response_type"] = "ephemeral",
        ["text"] = message.Text,
        ["blocks"] = message.Blocks,
    };

    private async Task<CommandResult> RunAsync(string team, string? enterprise, string channel, string user, string command)
    {
        var contact = await managers.UsedAsync(team, enterprise, channel, user, responder.Stopping).ConfigureAwait(false);
        return await commands.RunAsync(contact, command, responder.Stopping).ConfigureAwait(false);
    }

    private async Task FollowUpAsync(Task<CommandResult> work, string responseUrl)
    {
        var result = await work.ConfigureAwait(false);
        var message = replies.Render(result);
        await slack.PostToResponseUrlAsync(responseUrl, message, inChannel: false, replaceOriginal: false, responder.Stopping).ConfigureAwait(false);
    }

    private static string? Field(IReadOnlyDictionary<string, string> form, string name) =>
        form.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A slash command from {TeamId} took longer than the reply deadline and has no usable response_url: its reply is lost")]
    private static partial void LogNoResponseUrl(ILogger logger, string teamId);
}
