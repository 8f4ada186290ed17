using System.Diagnostics;

namespace Digest.Telemetry;

/// <summary>
/// The one <see cref="ActivitySource"/> of the product and the name its <c>Meter</c> shares (<see cref="DigestMetrics"/>).
/// A trace crosses processes and runs through storage: the crawl records the fetch's context (a W3C <c>traceparent</c>)
/// on the rows it writes, and a later step starts its work linked to it with <see cref="StartLinkedActivity(string, string?, ActivityKind)"/>.
/// </summary>
public static class DigestTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "Digest";

    /// <summary>Where every Digest activity starts. Without a listener (no telemetry configured) it starts none.</summary>
    public static ActivitySource Source { get; } = new(Name);

    /// <summary>
    /// Starts an activity linked to a context stored earlier (a <c>traceparent</c> from a change row), so that a trace
    /// backend shows the send next to the fetch that found the paper. A missing or malformed context starts the
    /// activity without a link: the link is a help for people reading traces, never a reason to fail the work.
    /// </summary>
    public static Activity? StartLinkedActivity(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal) =>
        StartLinkedActivity(name, traceParent is null ? [] : [traceParent], kind);

    /// <summary>As <see cref="StartLinkedActivity(string, string?, ActivityKind)"/>, linked to every stored context
    /// (a message that carries several papers was found by several fetches). Duplicates are linked once.</summary>
    public static Activity? StartLinkedActivity(string name, IEnumerable<string?> traceParents, ActivityKind kind = ActivityKind.Internal)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(traceParents);
        var links = traceParents
            .Select(ParseTraceParent)
            .OfType<ActivityContext>()
            .Distinct()
            .Select(context => new ActivityLink(context))
            .ToList();
        return Source.StartActivity(kind, links: links, name: name);
    }

    /// <summary>The W3C <c>traceparent</c> of an activity, to store with what it produced; null without one.</summary>
    public static string? TraceParentOf(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>A stored <c>traceparent</c> read back; null when it is absent or not one.</summary>
    public static ActivityContext? ParseTraceParent(string? traceParent) =>
        traceParent is { Length: > 0 } && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : null;

    /// <summary>Marks an activity failed with the exception that ended it (the caller passes the exception on).</summary>
    public static void RecordFailure(Activity? activity, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity?.AddException(exception);
    }
}
