namespace Digest.Conversation.Commands;

/// <summary><c>help</c>: the commands.</summary>
internal sealed class HelpCommand : IConversationCommand
{
    /// <summary>The commands, as the help lists them.</summary>
    public static IReadOnlyList<CommandHelp> Commands { get; } =
    [
        new("help", "Show this list", "help"),
        new("subscribe", "Send papers matching this conversation's rules here", "subscribe"),
        new("unsubscribe", "Stop sending papers here (rules are kept)"),
        new("add <rule>", "Add a rule, e.g. add \"diffusion model\" AND video; shows what it would have matched in the last 7 days"),
        new("rules", "List the rules, numbered", "rules"),
        new("remove <n>", "Remove rule number n"),
        new("pause / resume", "Hold deliveries, and start them again"),
        new("mode instant", "Send papers as soon as they are found"),
        new("mode daily 08:30 Europe/Berlin", "Send one digest a day at that local time"),
        new("mode weekly mon 08:30 Europe/Berlin", "Send one digest a week, on that day at that local time"),
        new("quiet weekends / quiet off", "Send nothing on Saturdays and Sundays (or other days: quiet sat sun UTC); papers found then go out next"),
        new("limit 10 / limit off", "Send at most 10 papers a delivery (1 to 50); the rest wait behind a Show more button"),
        new("more", "Send the next papers held back by the limit (what Show more does)"),
        new("nothing-note on / off", "A daily or weekly digest that finds nothing sends a short note saying so"),
        new("digest", "Send now what matched since the last delivery", "digest"),
        new("status", "Last crawl, papers today, deliveries", "status"),
    ];

    public IReadOnlyList<string> Names { get; } = ["help", "?"];

    public Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(CommandResult.Of(new HelpReply("What I can do", Commands), "Help sent."));
}
