using Digest.Conversation.Commands;
using Digest.Subscriptions;
using Microsoft.Extensions.Logging;
using static Digest.Conversation.RichText;

namespace Digest.Conversation;

/// <summary>
/// The command core: what people type (or click) in any conversation, on any platform, parsed and answered as a
/// platform-neutral <see cref="Reply"/>. Every contact refreshes the conversation's address first (unless this process
/// just did, <see cref="SubscriptionStore.RecordedRecently"/>); a conversation only
/// ever reads and changes its own subscription and rules (its <see cref="ConversationKey"/>).
/// </summary>
public sealed partial class CommandRouter
{
    private readonly SubscriptionStore _store;
    private readonly Dictionary<string, IConversationCommand> _commands;
    private readonly ILogger<CommandRouter> _logger;

    public CommandRouter(SubscriptionStore store, IEnumerable<IConversationCommand> commands, ILogger<CommandRouter> logger)
    {
        ArgumentNullException.ThrowIfNull(commands);
        _store = store;
        _commands = commands.SelectMany(command => command.Names.Select(name => (name, command))).ToDictionary(pair => pair.name, pair => pair.command, StringComparer.Ordinal);
        _logger = logger;
    }

    /// <summary>The commands, as the help lists them.</summary>
    public static IReadOnlyList<CommandHelp> Commands => HelpCommand.Commands;

    /// <summary>Runs one command typed or clicked in <paramref name="contact"/>'s conversation.</summary>
    public async Task<CommandResult> RunAsync(ConversationContact contact, string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        ArgumentNullException.ThrowIfNull(text);
        // A contact this process recorded a moment ago needs no storage request; commands that need the subscription
        // read it then.
        var recorded = _store.RecordedRecently(contact.Key, contact.Address) ? null
            : await _store.RecordContactAsync(contact.Key, contact.Address, cancellationToken).ConfigureAwait(false);
        text = text.Trim();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var name = (space < 0 ? text : text[..space]).ToLowerInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..].Trim();
        LogCommand(_logger, name, contact.Key.ToString());
        if (_commands.TryGetValue(name, out var command))
        {
            return await command.RunAsync(new CommandRequest(contact.Key, name, argument, recorded is null
                ? token => _store.RecordContactAsync(contact.Key, contact.Address, token)
                : _ => Task.FromResult(recorded)), cancellationToken).ConfigureAwait(false);
        }

        var echo = text.Length > 60 ? text[..60] + "…" : text;
        return CommandResult.Text((echo.Length == 0 ? Empty : Plain($"I did not understand \"{echo}\". "))
            + "Try " + Strong("help") + ", " + Strong("subscribe") + ", " + Strong("add") + " " + Emphasis("rule") + ", " + Strong("rules") + ", " + Strong("digest") + " or " + Strong("status") + ".");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {Command} in {Conversation}")]
    private static partial void LogCommand(ILogger logger, string command, string conversation);
}
