using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>nothing-note on</c> / <c>nothing-note off</c>: whether a daily or weekly digest that found nothing sends a
/// short note saying so.</summary>
internal sealed class NothingNoteCommand(SubscriptionStore store) : IConversationCommand
{
    public const string Name = "nothing-note";

    public IReadOnlyList<string> Names { get; } = [Name, "nothingnote"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        bool on;
        switch (request.Argument.Trim().ToUpperInvariant())
        {
            case "ON":
                on = true;
                break;
            case "OFF":
                on = false;
                break;
            default:
                return CommandResult.Text("Usage: " + Strong(Name + " on") + " or " + Strong(Name + " off") + ".");
        }

        var updated = await store.UpdateAsync(request.Key, null, current => current with { NothingMatchedNote = on }, cancellationToken).ConfigureAwait(false);
        return CommandResult.Text(!on
            ? Plain("Nothing-matched note off: a digest that finds nothing sends nothing.")
            : updated.Mode.Cadence == DeliveryCadence.Instant
                ? "Nothing-matched note on. It is for daily and weekly digests; this conversation is in instant mode, so set one with " + Strong("mode daily") + " or " + Strong("mode weekly") + "."
                : Plain("Nothing-matched note on: a digest that finds nothing sends a short note saying so (never on quiet days)."));
    }
}
