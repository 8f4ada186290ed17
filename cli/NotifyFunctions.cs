using Digest.Delivery;
using Microsoft.Azure.WebJobs;
using Microsoft.Extensions.Logging;

namespace Digest.Cli;

/// <summary>
/// The notifier's timer function. A class of its own, beside <see cref="CrawlFunctions"/>, because WebJobs builds a
/// function's class for every run: the crawl functions must not need the Bot settings the connector client reads.
/// Without them this function fails each run with the options' validation message, and the crawl runs on.
/// </summary>
public sealed partial class NotifyFunctions(NotifySubscribers notifier, ILogger<NotifyFunctions> logger)
{
    [FunctionName(nameof(NotifySubscribers))]
    public async Task NotifySubscribers([TimerTrigger("%Schedules:NotifySubscribers%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var report = await notifier.RunAsync(cancellationToken).ConfigureAwait(false);
        var failed = report.Subscriptions.Count(subscription => subscription.Outcome == DeliveryOutcome.Failed);
        if (failed > 0)
        {
            LogFailures(logger, failed, report.Subscriptions.Count);
        }
    }

    [LoggerMessage(EventId = 1601, Level = LogLevel.Warning, Message = "{Failed} of {Due} due subscriptions failed; their pending papers go out with the next run")]
    private static partial void LogFailures(ILogger logger, int failed, int due);
}
