using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Digest.Http;

/// <summary>
/// The retry every outbound client of Digest uses (huggingface.co, the Bot Connector, Slack): exponential back-off with
/// jitter that honours <c>Retry-After</c>, but never waits for a <c>Retry-After</c> longer than the caller will; what
/// is worth retrying is the caller's to say.
/// </summary>
public static class PoliteRetry
{
    /// <summary>Adds the retry to <paramref name="pipeline"/>; <paramref name="maxRetries"/> 0 turns it off.</summary>
    public static ResiliencePipelineBuilder<HttpResponseMessage> AddPoliteRetry(
        this ResiliencePipelineBuilder<HttpResponseMessage> pipeline,
        int maxRetries,
        TimeSpan baseDelay,
        TimeSpan maxRetryAfter,
        Func<Outcome<HttpResponseMessage>, bool> isRetryable)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(isRetryable);

        // Waiting for a remote server happens in real time, whatever clock the rest of the app is given.
        pipeline.TimeProvider = TimeProvider.System;
        return pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(maxRetries, 1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = baseDelay,
            ShouldRetryAfterHeader = true,
            ShouldHandle = arguments => ValueTask.FromResult(maxRetries > 0 && isRetryable(arguments.Outcome) && !WaitsTooLong(arguments.Outcome, maxRetryAfter)),
        });
    }

    // A Retry-After beyond the caller's patience is not waited for: the failure goes back to the caller instead.
    private static bool WaitsTooLong(Outcome<HttpResponseMessage> outcome, TimeSpan maxRetryAfter)
    {
        var retryAfter = outcome.Result?.Headers.RetryAfter;
        var wait = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - TimeProvider.System.GetUtcNow() : null);
        return wait is { } delay && delay > maxRetryAfter;
    }
}
