using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Digest.Telemetry;

/// <summary>The platforms a message goes through, as the <see cref="DigestMetrics.PlatformTag"/> value.</summary>
public static class TelemetryPlatforms
{
    public const string Teams = "teams";
    public const string Slack = "slack";
}

/// <summary>
/// Every instrument of the product, on the <see cref="DigestTelemetry.Name"/> meter, created through the container's
/// <see cref="IMeterFactory"/> (one singleton per container, so tests and hosts in one process do not see each
/// other's measurements). Names follow the OpenTelemetry semantic conventions: <c>digest.</c>, the thing counted in
/// the plural, units in UCUM annotations.
/// </summary>
public sealed class DigestMetrics
{
    /// <summary>The platform of a message or API call: one of <see cref="TelemetryPlatforms"/>.</summary>
    public const string PlatformTag = "digest.platform";

    /// <summary>The API call on a platform (<c>send</c>, <c>reply</c>, <c>update</c>, <c>create_conversation</c>, …).</summary>
    public const string OperationTag = "digest.platform.operation";

    /// <summary>How a page fetch ended: <c>stored</c>, <c>not_modified</c>, <c>unchanged</c> or <c>failed</c>.</summary>
    public const string FetchResultTag = "digest.fetch.result";

    /// <summary>How parsing a snapshot ended: <c>Parsed</c> or <c>Failed</c>.</summary>
    public const string ParseOutcomeTag = "digest.parse.outcome";

    /// <summary>The parser's path (<c>DataProps</c>, <c>Cards</c>, <c>ApiJson</c>, <c>PlainText</c>), <c>none</c> when parsing failed.</summary>
    public const string ParsePathTag = "digest.parse.path";

    /// <summary>Why a message failed or a subscription was deactivated (a short, bounded code chosen by the caller).</summary>
    public const string ReasonTag = "digest.reason";

    /// <summary>The HTTP status of an answer (OpenTelemetry's own attribute name).</summary>
    public const string StatusCodeTag = "http.response.status_code";

    /// <summary>The class of error when a call got no answer (OpenTelemetry's own attribute name).</summary>
    public const string ErrorTypeTag = "error.type";

    // Seconds: from a fast connector answer to one that waited out retries.
    private static readonly IReadOnlyList<double> LatencyBuckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter<long> _pagesFetched;
    private readonly Counter<long> _pagesUnchanged;
    private readonly Counter<long> _pagesFailed;
    private readonly Counter<long> _snapshotsStored;
    private readonly Counter<long> _snapshotsParsed;
    private readonly Counter<long> _papersNew;
    private readonly Counter<long> _papersUpdated;
    private readonly Counter<long> _papersUpvotesChanged;
    private readonly Counter<long> _papersRemoved;
    private readonly Counter<long> _ruleMatches;
    private readonly Counter<long> _messagesSent;
    private readonly Counter<long> _messagesRetried;
    private readonly Counter<long> _messagesThrottled;
    private readonly Counter<long> _messagesFailed;
    private readonly Counter<long> _messagesDeadLettered;
    private readonly Counter<long> _subscriptionsDeactivated;
    private readonly Counter<long> _botRequests;
    private readonly Histogram<double> _platformRequestDuration;

    public DigestMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(DigestTelemetry.Name);
        _pagesFetched = meter.CreateCounter<long>("digest.pages.fetched", "{page}", "Pages requested from the source, whatever the answer (tag digest.fetch.result).");
        _pagesUnchanged = meter.CreateCounter<long>("digest.pages.unchanged", "{page}", "Pages answered 304 Not Modified or with the content already stored.");
        _pagesFailed = meter.CreateCounter<long>("digest.pages.failed", "{page}", "Page fetches that failed after their retries.");
        _snapshotsStored = meter.CreateCounter<long>("digest.snapshots.stored", "{snapshot}", "New page versions stored as snapshots.");
        _snapshotsParsed = meter.CreateCounter<long>("digest.snapshots.parsed", "{snapshot}", "Snapshots parsed, by outcome and parser path.");
        _papersNew = meter.CreateCounter<long>("digest.papers.new", "{paper}", "Papers seen for the first time.");
        _papersUpdated = meter.CreateCounter<long>("digest.papers.updated", "{paper}", "Papers whose title, abstract, authors or details changed.");
        _papersUpvotesChanged = meter.CreateCounter<long>("digest.papers.upvotes_changed", "{paper}", "Papers whose upvote count changed.");
        _papersRemoved = meter.CreateCounter<long>("digest.papers.removed", "{paper}", "Papers that left a page they were on.");
        _ruleMatches = meter.CreateCounter<long>("digest.rule.matches", "{match}", "New (subscription, paper) matches of the rules: each pair counted once, when it is planned for delivery.");
        _messagesSent = meter.CreateCounter<long>("digest.messages.sent", "{message}", "Messages a platform accepted.");
        _messagesRetried = meter.CreateCounter<long>("digest.messages.retried", "{message}", "Messages left pending for a later attempt.");
        _messagesThrottled = meter.CreateCounter<long>("digest.messages.throttled", "{message}", "Messages a platform throttled (429 after the retries).");
        _messagesFailed = meter.CreateCounter<long>("digest.messages.failed", "{message}", "Message sends that failed (tag digest.reason).");
        _messagesDeadLettered = meter.CreateCounter<long>("digest.messages.dead_lettered", "{message}", "Messages given up on after their attempts ran out.");
        _subscriptionsDeactivated = meter.CreateCounter<long>("digest.subscriptions.deactivated", "{subscription}", "Subscriptions deactivated (bot removed, conversation gone).");
        _botRequests = meter.CreateCounter<long>("digest.bot.requests", "{request}", "Requests to the bot's messaging endpoint, by HTTP status.");
        _platformRequestDuration = meter.CreateHistogram(
            "digest.platform.request.duration",
            "s",
            "Duration of Slack and Teams API calls, retries included.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
    }

    /// <summary>One page fetch and how it ended (one of the <see cref="FetchResultTag"/> values).</summary>
    public void PageFetched(string result)
    {
        var tag = new KeyValuePair<string, object?>(FetchResultTag, result);
        _pagesFetched.Add(1, tag);
        switch (result)
        {
            case FetchResults.NotModified or FetchResults.Unchanged:
                _pagesUnchanged.Add(1, tag);
                break;
            case FetchResults.Failed:
                _pagesFailed.Add(1);
                break;
            case FetchResults.Stored:
                _snapshotsStored.Add(1);
                break;
        }
    }

    /// <summary>One snapshot parsed (or not); <paramref name="path"/> is null when parsing failed.</summary>
    public void SnapshotParsed(string outcome, string? path) =>
        _snapshotsParsed.Add(1, new KeyValuePair<string, object?>(ParseOutcomeTag, outcome), new KeyValuePair<string, object?>(ParsePathTag, path ?? "none"));

    /// <summary>The changes one snapshot made, by kind (<c>New</c>, <c>Updated</c>, <c>UpvotesChanged</c>, <c>Removed</c>).</summary>
    public void PapersChanged(string kind, int count)
    {
        var counter = kind switch
        {
            "New" => _papersNew,
            "Updated" => _papersUpdated,
            "UpvotesChanged" => _papersUpvotesChanged,
            "Removed" => _papersRemoved,
            _ => null,
        };
        if (count > 0)
        {
            counter?.Add(count);
        }
    }

    /// <summary>New (subscription, paper) matches a notifier run (or a <c>digest</c> command) planned.</summary>
    public void RuleMatches(int count)
    {
        if (count > 0)
        {
            _ruleMatches.Add(count);
        }
    }

    public void MessagesSent(string platform, int count = 1) => _messagesSent.Add(count, Platform(platform));

    public void MessageRetried(string platform) => _messagesRetried.Add(1, Platform(platform));

    public void MessageThrottled(string platform) => _messagesThrottled.Add(1, Platform(platform));

    /// <summary>A send that failed; <paramref name="reason"/> is a bounded code (a <c>ConnectorFailure</c> name, say).</summary>
    public void MessageFailed(string platform, string reason) =>
        _messagesFailed.Add(1, Platform(platform), new KeyValuePair<string, object?>(ReasonTag, reason));

    public void MessageDeadLettered(string platform) => _messagesDeadLettered.Add(1, Platform(platform));

    public void SubscriptionDeactivated(string platform, string reason) =>
        _subscriptionsDeactivated.Add(1, Platform(platform), new KeyValuePair<string, object?>(ReasonTag, reason));

    /// <summary>One request to the bot's messaging endpoint, with the status it was answered.</summary>
    public void BotRequest(string platform, int status) =>
        _botRequests.Add(1, Platform(platform), new KeyValuePair<string, object?>(StatusCodeTag, status));

    /// <summary>Runs one call to a platform's API under its activity (<c>{platform} {operation}</c>, a client span around
    /// the HTTP spans of its attempts) and records its latency, retries and pacing included, whatever the outcome: the
    /// status of the answer and, when it failed, the error type <paramref name="failureOf"/> reads from the exception
    /// (null for an exception that is not the platform's answer), or <c>canceled</c>.</summary>
    public async Task<T> MeasurePlatformCallAsync<T>(string platform, string operation, Func<Task<(T Result, int Status)>> call, Func<Exception, (int? Status, string? ErrorType)?> failureOf)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(failureOf);
        using var activity = DigestTelemetry.Source.StartActivity($"{platform} {operation}", ActivityKind.Client);
        activity?.SetTag(PlatformTag, platform);
        activity?.SetTag(OperationTag, operation);

        // Latency of a remote service is real time, whatever clock the rest of the app is given.
        var started = Stopwatch.GetTimestamp();
        int? status = null;
        string? errorType = null;
        try
        {
            (var result, status) = await call().ConfigureAwait(false);
            return result;
        }
        catch (OperationCanceledException)
        {
            errorType = "canceled";
            throw;
        }
        catch (Exception exception) when (failureOf(exception) is { } failure)
        {
            (status, errorType) = failure;
            activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            throw;
        }
        finally
        {
            activity?.SetTag(StatusCodeTag, status);
            activity?.SetTag(ErrorTypeTag, errorType);
            PlatformRequest(platform, operation, Stopwatch.GetElapsedTime(started), status, errorType);
        }
    }

    private void PlatformRequest(string platform, string operation, TimeSpan duration, int? status, string? errorType)
    {
        var tags = new TagList
        {
            { PlatformTag, platform },
            { OperationTag, operation },
        };
        if (status is { } code)
        {
            tags.Add(StatusCodeTag, code);
        }

        if (errorType is not null)
        {
            tags.Add(ErrorTypeTag, errorType);
        }

        _platformRequestDuration.Record(duration.TotalSeconds, tags);
    }

    private static KeyValuePair<string, object?> Platform(string platform) => new(PlatformTag, platform);
}

/// <summary>The values of <see cref="DigestMetrics.FetchResultTag"/>.</summary>
public static class FetchResults
{
    public const string Stored = "stored";
    public const string NotModified = "not_modified";
    public const string Unchanged = "unchanged";
    public const string Failed = "failed";
}
