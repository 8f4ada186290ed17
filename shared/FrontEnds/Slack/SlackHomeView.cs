using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Digest.Conversation.Commands;
using Digest.Subscriptions;
using static Digest.FrontEnds.Slack.SlackReplyRenderer;
using static Digest.Platforms.Slack.BlockKitRenderer;

namespace Digest.FrontEnds.Slack;

/// <summary>The App Home tab and its modals: the person's own subscription and those of the channels they manage
/// (state, mode, rules) with buttons for everything the commands do, so it is usable without typing.</summary>
public static partial class SlackHomeView
{
    /// <summary>Home buttons that run a command (value: <see cref="ActionValue"/>) and then show the Home again.</summary>
    public const string CommandAction = "home.command";

    /// <summary>Opens the add-rule modal (value: <see cref="ActionValue"/> of <c>add</c>).</summary>
    public const string AddRuleAction = "home.add-rule";

    /// <summary>Opens the mode modal (value: <see cref="ActionValue"/> of <c>mode</c>).</summary>
    public const string ModeAction = "home.mode";

    /// <summary>Takes a channel off the person's Home (value: the channel id).</summary>
    public const string ForgetChannelAction = "home.forget-channel";

    public const string AddRuleCallback = "digest.add-rule";
    public const string ModeCallback = "digest.mode";

    /// <summary>The block and action id of the modals' one input.</summary>
    public const string RuleInput = "rule";
    public const string ModeInput = "mode";

    // Between a channel id and the command in a button's value; never in a channel id.
    private const char TargetSeparator = '|';

    // Home tabs hold at most 100 blocks: the title and the closing note, then per subscription its state, its buttons, a
    // divider and, when its rules do not all fit, a line that says how many more; its rules share what is left.
    private const int MaxBlocks = 100;
    private const int BlocksPerSection = 4;

    // The cap, when set: /digest limit changes it.
    private static string Limit(int? limit) => limit is { } most
        ? string.Create(CultureInfo.InvariantCulture, $" Limit: {most} paper{(most == 1 ? "" : "s")} a delivery, the rest behind Show more (/digest limit off to remove).")
        : "";

    /// <summary>A button's value: the command, and the channel it is for unless it is for the person's own subscription.</summary>
    public static string ActionValue(string? channelId, string command) =>
        channelId is null ? command : channelId + TargetSeparator + command;

    /// <summary>Reads <see cref="ActionValue"/>: the channel (null: the person's own subscription) and the command.</summary>
    public static (string? ChannelId, string Command) ReadActionValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var separator = value.IndexOf(TargetSeparator, StringComparison.Ordinal);
        return separator > 0 && IsChannelId(value[..separator]) ? (value[..separator], value[(separator + 1)..]) : (null, value);
    }

    /// <summary>A Slack channel id (public <c>C…</c>, private <c>G…</c> or <c>C…</c>); not a DM's <c>D…</c>.</summary>
    public static bool IsChannelId(string text) => ChannelId().IsMatch(text);

    /// <summary>The Home: the person's own subscription first, then each channel they manage.</summary>
    public static JsonObject Home(HomeSection personal, IReadOnlyList<HomeSection> channels)
    {
        ArgumentNullException.ThrowIfNull(personal);
        ArgumentNullException.ThrowIfNull(channels);
        List<HomeSection> sections = [personal, .. channels];
        var ruleRows = MaxBlocks - 2 - (BlocksPerSection * sections.Count);
        var blocks = new JsonArray { Header("Digest: your Hugging Face Daily Papers alerts") };
        foreach (var section in sections)
        {
            var shown = Math.Clamp(ruleRows, 0, section.Rules.Count);
            ruleRows -= shown;
            AddSection(blocks, section, shown);
        }

        blocks.Add(Context(channels.Count == 0
            ? "In a channel, /digest manages that channel's own alerts, and the channel then shows here too; /digest help lists the commands."
            : "Channels show here once you have used /digest in them (hidden ones again after the next use); /digest help lists the commands."));
        return new JsonObject { ["type"] = "home", ["blocks"] = blocks };
    }

    private static void AddSection(JsonArray blocks, HomeSection section, int rulesShown)
    {
        var (channel, subscription, rules) = (section.ChannelId, section.Subscription, section.Rules);
        var subscribed = subscription?.Subscribed == true;
        var paused = subscription?.Paused == true;
        var state = channel is null
            ? !subscribed ? "Not subscribed: papers matching your rules are not sent to you."
                : paused ? "Subscribed, paused: nothing is sent until you resume."
                : "Subscribed: papers matching your rules are sent to you here, in Messages."
            : subscription?.Installed == false ? "The app is no longer in this channel: nothing is posted until someone adds it back."
            : !subscribed ? "Not subscribed: papers matching its rules are not posted."
                : paused ? "Subscribed, paused: nothing is posted until someone resumes."
                : "Subscribed: papers matching its rules are posted in the channel.";
        var title = channel is null ? "*Your own alerts*" : $"*<#{channel}>*";
        var ruleCount = rules.Count == 0 ? "No rules yet: add one (keywords, \"exact phrases\", AND / OR / NOT, title: / abstract: / author:, upvotes>=20)."
            : rules.Count == 1 ? "1 rule:" : string.Create(CultureInfo.InvariantCulture, $"{rules.Count} rules:");
        blocks.Add(new JsonObject
        {
            ["type"] = "section",
            // The title is the only markup: the rest is escaped, and a channel id is letters and digits.
            ["text"] = new JsonObject
            {
                ["type"] = "mrkdwn",
                ["text"] = title + "\n" + Escape(state + " Mode: " + (subscription?.Mode ?? DeliveryMode.Instant) + "." + Limit(subscription?.MessageLimit) + " " + ruleCount),
            },
        });
        var buttons = new JsonArray
        {
            subscribed ? Button("Unsubscribe", CommandAction, ActionValue(channel, "unsubscribe")) : Button("Subscribe", CommandAction, ActionValue(channel, "subscribe"), "primary"),
            paused ? Button("Resume", CommandAction, ActionValue(channel, "resume")) : Button("Pause", CommandAction, ActionValue(channel, "pause")),
            Button("Change mode", ModeAction, ActionValue(channel, "mode")),
            Button("Send digest now", CommandAction, ActionValue(channel, "digest")),
            Button("Add a rule", AddRuleAction, ActionValue(channel, "add"), "primary"),
        };
        if (channel is not null)
        {
            buttons.Add(Button("Hide from my Home", ForgetChannelAction, channel));
        }

        blocks.Add(new JsonObject { ["type"] = "actions", ["block_id"] = "subscription" + (channel is null ? "" : "." + channel), ["elements"] = buttons });
        foreach (var rule in rules.Take(rulesShown))
        {
            blocks.Add(RuleRow(rule, CommandAction, ActionValue(channel, "")));
        }

        if (rules.Count > rulesShown)
        {
            blocks.Add(Context(string.Create(CultureInfo.InvariantCulture,
                $"… and {rules.Count - rulesShown} more; /digest rules {(channel is null ? "in a message to the app" : "in the channel")} lists them all.")));
        }

        blocks.Add(new JsonObject { ["type"] = "divider" });
    }

    /// <summary>The modal to add a rule; its submission is checked by the parser, whose error shows under the input.</summary>
    public static JsonObject AddRuleModal(string? channelId) => Modal(AddRuleCallback, channelId, "Add a rule", "Add",
    [
        Input(RuleInput, "Rule", "title:diffusion AND (quantiz* OR \"low rank\") -survey", null, AddRuleCommand.MaxRuleLength),
        Context($"Words match title, abstract and authors, case- and accent-insensitive. After adding, you see what the rule would have matched in the last {AddRuleCommand.PreviewDays} days."),
    ]);

    /// <summary>What a rule that was added would have matched: the modal the add-rule modal becomes.</summary>
    public static JsonObject AddedModal(string heading, JsonArray paperBlocks)
    {
        ArgumentNullException.ThrowIfNull(paperBlocks);
        var blocks = new JsonArray { Section(heading) };
        foreach (var block in paperBlocks.Take(40))
        {
            blocks.Add(block!.DeepClone());
        }

        var modal = Modal(AddRuleCallback + ".done", null, "Rule added", null, blocks);
        modal["close"] = PlainText("Done");
        return modal;
    }

    /// <summary>The modal to change the delivery mode, filled with the current one.</summary>
    public static JsonObject ModeModal(string? channelId, DeliveryMode current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return Modal(ModeCallback, channelId, "Delivery mode", "Save",
        [
            Input(ModeInput, "Mode", "instant, or daily 08:30 Europe/Berlin", current.ToString(), 100),
            Context("instant: papers as soon as they are found. daily HH:mm Zone: one digest a day at that local time (an IANA time zone such as Europe/Berlin or UTC)."),
        ]);
    }

    /// <summary>The text typed into a modal's input, from a <c>view_submission</c>'s <c>view.state.values</c>.</summary>
    public static string? InputValue(JsonObject? view, string input) =>
        view?["state"]?["values"]?[input]?[input]?["value"] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static JsonObject Input(string id, string label, string placeholder, string? initial, int maxLength)
    {
        var element = new JsonObject
        {
            ["type"] = "plain_text_input",
            ["action_id"] = id,
            ["max_length"] = maxLength,
            ["placeholder"] = PlainText(placeholder),
        };
        if (initial is not null)
        {
            element["initial_value"] = initial;
        }

        return new JsonObject { ["type"] = "input", ["block_id"] = id, ["label"] = PlainText(label), ["element"] = element };
    }

    [GeneratedRegex("^[CG][A-Z0-9]{2,20}$", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelId();

    /// <summary>The channel a modal is for (its <c>private_metadata</c>); null for the person's own subscription.</summary>
    public static string? ModalChannel(JsonObject? view) =>
        view?["private_metadata"] is JsonValue value && value.TryGetValue<string>(out var text) && IsChannelId(text) ? text : null;

    // The channel rides in private_metadata, which Slack hands back with the submission.
    private static JsonObject Modal(string callbackId, string? channelId, string title, string? submit, JsonArray blocks)
    {
        var modal = new JsonObject
        {
            ["type"] = "modal",
            ["callback_id"] = callbackId,
            ["private_metadata"] = channelId ?? "",
            ["title"] = PlainText(title),
            ["close"] = PlainText("Cancel"),
            ["blocks"] = blocks,
        };
        if (submit is not null)
        {
            modal["submit"] = PlainText(submit);
        }

        return modal;
    }
}
