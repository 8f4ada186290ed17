using System.Globalization;
using System.Text.Json.Nodes;
using Digest.Conversation.Commands;
using Digest.Subscriptions;
using static Digest.FrontEnds.Slack.SlackReplyRenderer;
using static Digest.Platforms.Slack.BlockKitRenderer;

namespace Digest.FrontEnds.Slack;

/// <summary>The App Home tab and its modals: the person's own subscription (state, mode, rules) with buttons for
/// everything the commands do, so it is usable without typing.</summary>
public static class SlackHomeView
{
    /// <summary>Home buttons that run a command (value: the command) and then show the Home again.</summary>
    public const string CommandAction = "home.command";

    /// <summary>Opens the add-rule modal.</summary>
    public const string AddRuleAction = "home.add-rule";

    /// <summary>Opens the mode modal.</summary>
    public const string ModeAction = "home.mode";

    public const string AddRuleCallback = "digest.add-rule";
    public const string ModeCallback = "digest.mode";

    /// <summary>The block and action id of the modals' one input.</summary>
    public const string RuleInput = "rule";
    public const string ModeInput = "mode";

    // Home tabs hold at most 100 blocks.
    private const int MaxRuleRows = 80;

    // The cap, when set: /digest limit changes it.
    private static string Limit(int? limit) => limit is { } most
        ? string.Create(CultureInfo.InvariantCulture, $" Limit: {most} paper{(most == 1 ? "" : "s")} a delivery, the rest behind Show more (/digest limit off to remove).")
        : "";

    public static JsonObject Home(Subscription? subscription, IReadOnlyList<StoredRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var subscribed = subscription?.Subscribed == true;
        var paused = subscription?.Paused == true;
        var state = !subscribed ? "Not subscribed: papers matching your rules are not sent to you."
            : paused ? "Subscribed, paused: nothing is sent until you resume."
            : "Subscribed: papers matching your rules are sent to you here, in Messages.";
        var blocks = new JsonArray
        {
            Header("Digest: your Hugging Face Daily Papers alerts"),
            Section(state + " Mode: " + (subscription?.Mode ?? DeliveryMode.Instant) + "." + Limit(subscription?.MessageLimit)),
            new JsonObject
            {
                ["type"] = "actions",
                ["block_id"] = "subscription",
                ["elements"] = new JsonArray
                {
                    subscribed ? Button("Unsubscribe", CommandAction, "unsubscribe") : Button("Subscribe", CommandAction, "subscribe", "primary"),
                    paused ? Button("Resume", CommandAction, "resume") : Button("Pause", CommandAction, "pause"),
                    Button("Change mode", ModeAction, "mode"),
                    Button("Send digest now", CommandAction, "digest"),
                },
            },
            new JsonObject { ["type"] = "divider" },
            Header(rules.Count == 0 ? "Rules" : $"Rules ({rules.Count})"),
        };

        if (rules.Count == 0)
        {
            blocks.Add(Section("No rules yet. Add one: keywords, \"exact phrases\", AND / OR / NOT, title: / abstract: / author:, upvotes>=20."));
        }

        foreach (var rule in rules.Take(MaxRuleRows))
        {
            blocks.Add(RuleRow(rule, CommandAction));
        }

        if (rules.Count > MaxRuleRows)
        {
            blocks.Add(Context($"… and {rules.Count - MaxRuleRows} more."));
        }

        blocks.Add(new JsonObject
        {
            ["type"] = "actions",
            ["block_id"] = "rules",
            ["elements"] = new JsonArray { Button("Add a rule", AddRuleAction, "add", "primary") },
        });
        blocks.Add(Context("In a channel, /digest manages that channel's own alerts; /digest help lists the commands."));
        return new JsonObject { ["type"] = "home", ["blocks"] = blocks };
    }

    /// <summary>The modal to add a rule; its submission is checked by the parser, whose error shows under the input.</summary>
    public static JsonObject AddRuleModal() => Modal(AddRuleCallback, "Add a rule", "Add",
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

        var modal = Modal(AddRuleCallback + ".done", "Rule added", null, blocks);
        modal["close"] = PlainText("Done");
        return modal;
    }

    /// <summary>The modal to change the delivery mode, filled with the current one.</summary>
    public static JsonObject ModeModal(DeliveryMode current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return Modal(ModeCallback, "Delivery mode", "Save",
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

    private static JsonObject Modal(string callbackId, string title, string? submit, JsonArray blocks)
    {
        var modal = new JsonObject
        {
            ["type"] = "modal",
            ["callback_id"] = callbackId,
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
