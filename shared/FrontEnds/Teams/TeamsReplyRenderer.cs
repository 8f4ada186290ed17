using Digest.Delivery;
using System.Text;
using System.Text.Json.Nodes;
using Digest.Conversation;
using Digest.Conversation.Commands;
using Digest.Platforms.Teams.Cards;
using Digest.Platforms.Teams.Schema;
using Digest.Subscriptions;
using static Digest.Platforms.Teams.Cards.AdaptiveCardRenderer;

namespace Digest.FrontEnds.Teams;

/// <summary>The command core's replies as Teams shows them: text as Markdown, the rest as Adaptive Cards. Every run
/// of user or page text is escaped (<see cref="AdaptiveCardRenderer.Escape"/>).</summary>
public sealed class TeamsReplyRenderer(AdaptiveCardRenderer cards)
{
    /// <summary>The activity that shows <paramref name="reply"/>.</summary>
    public Activity Render(Reply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return reply switch
        {
            TextReply text => Activity.CreateText(Markdown(text.Text)),
            HelpReply help => Activity.CreateCard(Help(help.Heading, help.Commands), "Help"),
            RulesReply rules => Activity.CreateCard(Rules(rules.Rules, rules.Learned), "Rules"),
            PapersReply papers => Activity.CreateCard(cards.Papers(papers.Heading, papers.Papers, papers.Total), papers.Heading),
            FactsReply facts => Activity.CreateCard(Facts(facts.Heading, facts.Facts), facts.Heading),
            _ => throw new ArgumentException($"No Teams rendering for {reply.GetType().Name}.", nameof(reply)),
        };
    }

    /// <summary>Teams Markdown: bold and italic runs marked, every run escaped.</summary>
    public static string Markdown(RichText text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder();
        foreach (var run in text.Runs)
        {
            var escaped = Escape(run.Text);
            builder.Append(run.Style switch
            {
                TextStyle.Strong => "**" + escaped + "**",
                TextStyle.Emphasis => "*" + escaped + "*",
                _ => escaped,
            });
        }

        return builder.ToString();
    }

    public static JsonObject Help(string heading, IReadOnlyList<CommandHelp> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var body = new JsonArray
        {
            TextBlock(Escape(heading), weight: "Bolder", size: "Medium"),
        };
        var facts = new JsonArray();
        foreach (var command in commands)
        {
            facts.Add(new JsonObject { ["title"] = Escape(command.Usage), ["value"] = Escape(command.Description) });
        }

        body.Add(new JsonObject { ["type"] = "FactSet", ["facts"] = facts });
        var actions = new JsonArray();
        foreach (var command in commands.Where(command => command.ButtonCommand is not null).Take(5))
        {
            actions.Add(SubmitAction(command.ButtonCommand!, command.ButtonCommand!));
        }

        return Card(body, actions);
    }

    /// <summary>The rules, numbered, each with a Remove button; rules beyond the size budget are counted.</summary>
    public static JsonObject Rules(IReadOnlyList<StoredRule> rules, LearnedTerms? learned = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var body = new JsonArray
        {
            TextBlock(rules.Count == 0 ? "No rules yet. Add one with **add** *rule*, e.g. `add diffusion AND video`." : $"Rules of this conversation ({rules.Count})", weight: "Bolder"),
        };
        var card = Budgeted(Card(body, []), body, rules.Select(RuleRow), rules.Count, null);
        if (learned is not null)
        {
            // The feedback's summary goes last, outside the budgeted list, so a long list never pushes it out.
            body.Add(TextBlock("Learned from your feedback: more like " + Terms(learned.Positive) + "; less like " + Terms(learned.Negative) + ".", isSubtle: true, size: "Small"));
        }

        return card;
    }

    private static string Terms(IReadOnlyList<string> words) => words.Count == 0 ? "nothing yet" : string.Join(", ", words.Select(word => "**" + Escape(word) + "**"));

    /// <summary>A heading with label/value facts (status).</summary>
    public static JsonObject Facts(string heading, IReadOnlyList<KeyValuePair<string, string>> facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var set = new JsonArray();
        foreach (var (label, value) in facts)
        {
            set.Add(new JsonObject { ["title"] = Escape(label), ["value"] = Escape(value) });
        }

        return Card(new JsonArray { TextBlock(Escape(heading), weight: "Bolder", size: "Medium"), new JsonObject { ["type"] = "FactSet", ["facts"] = set } }, []);
    }

    private static JsonObject RuleRow(StoredRule rule) => new()
    {
        ["type"] = "ColumnSet",
        ["columns"] = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "Column",
                ["width"] = "stretch",
                ["items"] = new JsonArray { TextBlock($"**{rule.Number}.** {EscapeInline(rule.Text)}") },
            },
            new JsonObject
            {
                ["type"] = "Column",
                ["width"] = "auto",
                ["items"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "ActionSet",
                        ["actions"] = new JsonArray { SubmitAction("Remove", RemoveRuleCommand.ButtonCommand(rule)) },
                    },
                },
            },
        },
    };
}
