using Digest.Delivery;
using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>feedback like ID</c> / <c>feedback dislike ID</c>: what the <see cref="FeedbackButtons"/> of a delivered
/// paper send. Stored on the paper's receipt, once however often it is clicked.</summary>
internal sealed class FeedbackCommand(DeliveryOutbox outbox, SubscriptionStore store, TimeProvider time) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = [FeedbackButtons.CommandName];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parts = request.Argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not [var verdict, var paperId] || !TryParse(verdict, out var feedback))
        {
            return CommandResult.Text("Usage: " + Strong("feedback like") + " " + Emphasis("paper-id") + " or " + Strong("feedback dislike") + " " + Emphasis("paper-id")
                + " (the buttons under each delivered paper send it).");
        }

        var recorded = await outbox.RecordFeedbackAsync(request.Key, paperId, feedback, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (recorded == FeedbackRecorded.Recorded)
        {
            await store.UpdateAsync(request.Key, null, current => current with { FeedbackCount = current.FeedbackCount + 1 }, cancellationToken).ConfigureAwait(false);
        }

        return CommandResult.Text(recorded switch
        {
            FeedbackRecorded.NotDelivered => Plain($"Paper {paperId} was not delivered here, so there is nothing to note."),
            FeedbackRecorded.Unchanged => Plain("Already noted."),
            _ => Plain(feedback == PaperFeedback.Liked
                ? "Noted: more like this. Papers like it will come first in your digests."
                : "Noted: not interested. Papers like it will come last in your digests."),
        });
    }

    private static bool TryParse(string verdict, out PaperFeedback feedback)
    {
        feedback = verdict.ToUpperInvariant() switch
        {
            "LIKE" => PaperFeedback.Liked,
            "DISLIKE" => PaperFeedback.Disliked,
            _ => (PaperFeedback)(-1),
        };
        return Enum.IsDefined(feedback);
    }
}
