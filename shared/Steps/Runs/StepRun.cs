namespace Digest.Steps.Runs;

/// <summary>How a step's run ended.</summary>
public enum StepOutcome
{
    Succeeded,
    Failed,
}

/// <summary>
/// The last run of one step of <see cref="DigestSteps.All"/>, whichever host ran it (<c>digest status</c> shows it). For
/// <see cref="DigestSteps.DeliverToSubscription"/>, which runs once per queue message, it is the last message's run and
/// a <see cref="Summary"/> of the messages since the previous record (see <see cref="StepRunner.RunEachAsync"/>).
/// </summary>
/// <param name="Step">The step's name.</param>
/// <param name="LastStartedAt">When its last run started; later than <paramref name="LastFinishedAt"/> while it runs (or
/// when the process running it died).</param>
/// <param name="LastFinishedAt">When its last finished run ended.</param>
/// <param name="Outcome">How that run ended.</param>
/// <param name="Duration">How long that run took.</param>
/// <param name="Summary">What that run did, in a line (a succeeded run's).</param>
/// <param name="Error">Why that run failed (a failed run's exception message).</param>
/// <param name="Host">The host that ran it (<c>digest-run</c>, <c>digest-functions</c>, <c>digest-cli</c>).</param>
/// <param name="Instance">The machine and process that ran it.</param>
public sealed record StepRun(
    string Step,
    DateTimeOffset? LastStartedAt,
    DateTimeOffset? LastFinishedAt,
    StepOutcome? Outcome,
    TimeSpan? Duration,
    string? Summary,
    string? Error,
    string? Host,
    string? Instance)
{
    /// <summary>A step that never ran (in this storage, under this name prefix).</summary>
    public static StepRun Never(string step) => new(step, null, null, null, null, null, null, null, null);

    /// <summary>Started and not finished since: running now, or the process running it died.</summary>
    public bool Running => LastStartedAt is { } started && (LastFinishedAt is not { } finished || started > finished);
}
