namespace Digest.Delivery;

/// <summary>What a subscriber said of a delivered paper with its buttons.</summary>
public enum PaperFeedback
{
    /// <summary>"More like this": the paper joins the subscription's liked set.</summary>
    Liked,

    /// <summary>"Not interested": the paper joins the subscription's disliked set.</summary>
    Disliked,
}

/// <summary>What <see cref="DeliveryOutbox.RecordFeedbackAsync"/> did.</summary>
public enum FeedbackRecorded
{
    /// <summary>Stored on the paper's receipt, its first feedback.</summary>
    Recorded,

    /// <summary>The receipt's feedback was the other one and is replaced.</summary>
    Changed,

    /// <summary>The receipt already said so: a second click changes nothing.</summary>
    Unchanged,

    /// <summary>The paper was never delivered to this subscription: nothing to attach the feedback to.</summary>
    NotDelivered,
}

/// <summary>The two buttons under every delivered paper, on every platform: their titles and the command text they send
/// back (the command core's <c>feedback</c> command reads it).</summary>
public static class FeedbackButtons
{
    public const string CommandName = "feedback";

    public static IReadOnlyList<(string Title, string Command)> For(string paperId) =>
    [
        ("More like this", Command(PaperFeedback.Liked, paperId)),
        ("Not interested", Command(PaperFeedback.Disliked, paperId)),
    ];

    public static string Command(PaperFeedback feedback, string paperId) =>
        $"{CommandName} {(feedback == PaperFeedback.Liked ? "like" : "dislike")} {paperId}";
}
