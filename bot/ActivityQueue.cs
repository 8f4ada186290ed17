using System.Threading.Channels;
using Digest.Platforms.Teams;
using Digest.FrontEnds.Teams;
using Digest.Platforms.Teams.Schema;

namespace Digest.Bot;

/// <summary>Activities acknowledged to the channel and waiting to be handled. One lane per conversation hash keeps
/// a conversation's commands in order (subscribe before add) while different conversations run in parallel.</summary>
public sealed class ActivityQueue
{
    /// <summary>Lanes processed in parallel.</summary>
    public const int Lanes = 4;

    private const int CapacityPerLane = 1000;

    private readonly Channel<Activity>[] _lanes = [.. Enumerable.Range(0, Lanes).Select(_ => Channel.CreateBounded<Activity>(
        new BoundedChannelOptions(CapacityPerLane) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }))];

    /// <summary>Queues an activity; false when its lane is full (the caller answers 503 so the channel retries).</summary>
    public bool TryEnqueue(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        // A channel's posts share a lane, so its commands keep their order as one subscription's do.
        var conversation = TeamsChannels.SubscriptionConversationId(activity.ChannelId, activity.Conversation?.Id ?? "");
        var lane = (int)((uint)StringComparer.Ordinal.GetHashCode(conversation) % Lanes);
        return _lanes[lane].Writer.TryWrite(activity);
    }

    internal ChannelReader<Activity> Reader(int lane) => _lanes[lane].Reader;

    internal void Complete()
    {
        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }
    }
}

/// <summary>Drains <see cref="ActivityQueue"/>: one loop per lane, a failure logged and never fatal.</summary>
public sealed partial class ActivityQueueWorker(ActivityQueue queue, IActivityHandler handler, ILogger<ActivityQueueWorker> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, ActivityQueue.Lanes).Select(lane => DrainAsync(queue.Reader(lane), stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task DrainAsync(System.Threading.Channels.ChannelReader<Activity> reader, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var activity in reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await handler.HandleAsync(activity, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // One bad activity must not stop the lane; it is logged with its exception.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    LogHandlerFailed(logger, activity.Type, activity.Id, exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling activity {Type} {Id} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string? type, string? id, Exception exception);
}
