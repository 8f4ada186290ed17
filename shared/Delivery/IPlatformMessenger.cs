using Digest.Rules;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>How a send failed, as the outbox needs to know it.</summary>
public enum DeliveryFailureKind
{
    /// <summary>Worth trying again later: a timeout, throttling beyond the retries, a server error, an odd answer.</summary>
    Transient,

    /// <summary>The app was removed or the conversation is gone: deactivate the subscription, keep its data.</summary>
    ConversationGone,

    /// <summary>The platform refused the app's own credentials: every send on that platform would fail the same way.</summary>
    Unauthorized,
}

/// <summary>A send a platform refused or could not complete, classified.</summary>
public sealed class DeliveryFailedException : Exception
{
    public DeliveryFailedException()
    {
    }

    public DeliveryFailedException(string message)
        : base(message)
    {
    }

    public DeliveryFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DeliveryFailedException(DeliveryFailureKind kind, string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public DeliveryFailureKind Kind { get; }

    /// <summary>The platform answered 429 (or Slack's <c>ratelimited</c>) to the last try: counted as throttled.</summary>
    public bool Throttled { get; init; }
}

/// <summary>One platform's way of delivering papers (Teams cards, Slack Block Kit): how many fit one message, and the
/// send itself. The sender owns everything else (outbox, receipts, attempts), the same for every platform.</summary>
public interface IPlatformMessenger
{
    /// <summary>The <see cref="ConversationAddress.Platform"/> it serves.</summary>
    string Platform { get; }

    /// <summary>The papers in messages within the platform's limits (at most <paramref name="maxPerMessage"/> each), in
    /// order, none left out; <paramref name="heading"/> is the longest heading a message of them will carry.</summary>
    IReadOnlyList<IReadOnlyList<MatchedPaper>> Split(string heading, IReadOnlyList<MatchedPaper> papers, int maxPerMessage);

    /// <summary>Sends one message of papers under a heading, with <paramref name="more"/> as a button of the whole
    /// message when given (its title, and the command its click sends back); returns the platform's id of the message.</summary>
    /// <exception cref="DeliveryFailedException">The platform refused or could not be reached.</exception>
    Task<string?> SendAsync(ConversationAddress address, string heading, IReadOnlyList<MatchedPaper> papers, (string Title, string Command)? more, CancellationToken cancellationToken);

    /// <summary>Sends a short text of ours (the "nothing matched" note); returns the platform's id of the message.</summary>
    /// <exception cref="DeliveryFailedException">The platform refused or could not be reached.</exception>
    Task<string?> SendNoteAsync(ConversationAddress address, string text, CancellationToken cancellationToken);
}
