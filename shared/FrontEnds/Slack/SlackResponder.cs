using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.FrontEnds.Slack;

/// <summary>Slack wants every request answered within 3 seconds. Work is done within the request when it can be (so
/// an answered request is a finished one), and waited for up to <see cref="SlackFrontEndOptions.ReplyWithin"/>; what
/// takes longer goes on after the answer, bound to the application's lifetime rather than the request's, with any
/// failure logged.</summary>
public sealed partial class SlackResponder(IOptions<SlackFrontEndOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<SlackResponder> logger)
{
    /// <summary>The token work that may outlive its request runs under: cancelled when the application stops.</summary>
    public CancellationToken Stopping => lifetime.ApplicationStopping;

    /// <summary>True when <paramref name="work"/> finished (or failed: awaiting it rethrows) within the deadline; false
    /// when it goes on in the background.</summary>
    public async Task<bool> FinishesInTimeAsync(Task work, string what)
    {
        ArgumentNullException.ThrowIfNull(work);
        var within = options.Value.ReplyWithin;
        if (within > TimeSpan.Zero)
        {
            using var cancel = new CancellationTokenSource();
            var deadline = Task.Delay(within, time, cancel.Token);
            if (await Task.WhenAny(work, deadline).ConfigureAwait(false) == work)
            {
                await cancel.CancelAsync().ConfigureAwait(false);
                return true;
            }
        }

        Forget(work, what);
        return false;
    }

    /// <summary>Lets <paramref name="work"/> finish after the answer; a failure is logged with its exception.</summary>
    public void Forget(Task work, string what)
    {
        ArgumentNullException.ThrowIfNull(work);
        _ = work.ContinueWith(
            finished => LogBackgroundFailed(logger, what, finished.Exception!.GetBaseException()),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Slack: {What} failed after the request was answered")]
    private static partial void LogBackgroundFailed(ILogger logger, string what, Exception exception);
}
