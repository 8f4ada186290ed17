using System.Threading.Channels;

namespace Digest.Tests.Bot.Loopback;

/// <summary>The requests a loopback service received, in order, for a test to wait on one by one.</summary>
public sealed class RequestQueue<T>(string service)
{
    private readonly Channel<T> _requests = Channel.CreateUnbounded<T>();

    public void Add(T request) => _requests.Writer.TryWrite(request);

    /// <summary>Waits for the next request, at most 30 s.</summary>
    public async Task<T> NextAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await _requests.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Nothing was sent to the {service} within 30 s.");
        }
    }

    /// <summary>True when nothing else arrives within a short wait (used only to assert absence).</summary>
    public async Task<bool> StaysQuietAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            await _requests.Reader.WaitToReadAsync(timeout.Token);
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }
}
