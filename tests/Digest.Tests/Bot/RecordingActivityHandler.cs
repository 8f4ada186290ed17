using System.Collections.Concurrent;
using System.Threading.Channels;
using Digest.FrontEnds.Teams;
using Digest.Platforms.Teams.Schema;

namespace Digest.Tests.Bot;

/// <summary>Stands in for the conversation when a test is about the endpoint's gate: records what got through.</summary>
public sealed class RecordingActivityHandler : IActivityHandler
{
    private readonly Channel<Activity> _handled = Channel.CreateUnbounded<Activity>();
    private readonly ConcurrentQueue<Activity> _all = new();

    public IReadOnlyCollection<Activity> All => _all;

    public Task HandleAsync(Activity activity, CancellationToken cancellationToken)
    {
        _all.Enqueue(activity);
        _handled.Writer.TryWrite(activity);
        return Task.CompletedTask;
    }

    public Task<InvokeResponse> HandleInvokeAsync(Activity activity, CancellationToken cancellationToken)
    {
        _all.Enqueue(activity);
        _handled.Writer.TryWrite(activity);
        return Task.FromResult(new InvokeResponse(200, new System.Text.Json.Nodes.JsonObject { ["statusCode"] = 200 }));
    }

    /// <summary>Waits for the next handled activity (queued activities are handled in the background).</summary>
    public async Task<Activity> NextAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        return await _handled.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Waits briefly and says whether anything else was handled (after rejected requests, nothing should be).</summary>
    public async Task<bool> StaysQuietAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(300));
        try
        {
            await _handled.Reader.WaitToReadAsync(timeout.Token);
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }
}
