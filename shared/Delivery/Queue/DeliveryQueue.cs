using Azure.Storage.Queues.Models;
using Digest.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Delivery.Queue;

/// <summary>A message of the poison queue: the request it names (null when its body is not a delivery message).</summary>
public sealed record PoisonDelivery(string MessageId, DeliveryRequest? Request, string Body, DateTimeOffset? InsertedOn, long DequeueCount);

/// <summary>What a <see cref="DeliveryQueue.DrainAsync{T}"/> did: each handled message's result, the messages that failed
/// and wait for another try, and those moved to the poison queue.</summary>
public sealed record DrainReport<T>(IReadOnlyList<T> Results, int Retrying, int Poisoned);

/// <summary>
/// The delivery queue (<see cref="DigestStorage.DeliveryQueue"/>) and its poison queue. The notifier puts a message per
/// due subscription on it; the Function App's queue trigger or <see cref="DrainAsync{T}"/> takes them off. A message
/// that fails <see cref="DeliveryQueueOptions.MaxDequeueCount"/> times moves to <c>&lt;queue&gt;-poison</c>, as the
/// Functions host does, and <see cref="RetryPoisonAsync"/> puts it back.
/// </summary>
public sealed partial class DeliveryQueue(DigestStorage storage, IOptions<DeliveryQueueOptions> options, ILogger<DeliveryQueue> logger)
{
    // How long a message taken by the drain stays invisible while it is handled: longer than a send of one subscription.
    private static readonly TimeSpan HandlingLease = TimeSpan.FromMinutes(5);

    private readonly DeliveryQueueOptions _options = options.Value;

    /// <summary>Puts one message per request on the queue; returns how many.</summary>
    public async Task<int> EnqueueAsync(IReadOnlyList<DeliveryRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        await Parallel.ForEachAsync(
            requests,
            new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
            async (request, token) => await storage.DeliveryQueue.SendMessageAsync(DeliveryMessage.Serialize(request), token).ConfigureAwait(false)).ConfigureAwait(false);
        return requests.Count;
    }

    /// <summary>
    /// Handles every message that is visible, <paramref name="consumers"/> at a time, until the queue shows none: a
    /// message handled is deleted; one that failed is tried again after <see cref="DeliveryQueueOptions.VisibilityTimeout"/>
    /// (within this drain when that is zero), or moved to the poison queue once it has been taken
    /// <see cref="DeliveryQueueOptions.MaxDequeueCount"/> times. The same rules as the Functions host's queue trigger.
    /// </summary>
    /// <param name="handler">Handles one message body; throws when it should be tried again.</param>
    /// <param name="resultOfFailure">The result to report for a failure, or null to report none.</param>
    /// <param name="cancellationToken">Stops the drain.</param>
    /// <param name="consumers">Messages handled at once (default <see cref="DeliveryQueueOptions.BatchSize"/>).</param>
    public async Task<DrainReport<T>> DrainAsync<T>(
        Func<string, CancellationToken, Task<T>> handler, Func<Exception, T?> resultOfFailure, CancellationToken cancellationToken, int? consumers = null)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(resultOfFailure);
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var results = new List<T>();
        var retrying = 0;
        var poisoned = 0;
        var parallel = consumers ?? _options.BatchSize;

        // Each consumer takes messages and handles them until the queue gives it none; then the drain is done.
        await Parallel.ForEachAsync(Enumerable.Range(0, parallel), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (_, token) =>
        {
            while (true)
            {
                QueueMessage[] batch = (await storage.DeliveryQueue.ReceiveMessagesAsync(Math.Min(_options.BatchSize, 32), HandlingLease, token).ConfigureAwait(false)).Value;
                if (batch.Length == 0)
                {
                    return;
                }

                foreach (var message in batch)
                {
                    var (result, outcome) = await HandleAsync(message, handler, resultOfFailure, token).ConfigureAwait(false);
                    lock (results)
                    {
                        if (result is not null)
                        {
                            results.Add(result);
                        }

                        retrying += outcome == MessageOutcome.Retrying ? 1 : 0;
                        poisoned += outcome == MessageOutcome.Poisoned ? 1 : 0;
                    }
                }
            }
        }).ConfigureAwait(false);

        return new DrainReport<T>(results, retrying, poisoned);
    }

    /// <summary>The first messages of the poison queue (at most 32, the most a peek returns), oldest first.</summary>
    public async Task<IReadOnlyList<PoisonDelivery>> ListPoisonAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        PeekedMessage[] peeked = (await storage.DeliveryPoisonQueue.PeekMessagesAsync(32, cancellationToken).ConfigureAwait(false)).Value;
        return [.. peeked.Select(message => new PoisonDelivery(message.MessageId, TryParse(message.Body.ToString()), message.Body.ToString(), message.InsertedOn, message.DequeueCount))];
    }

    /// <summary>Moves every poison message back to the delivery queue, for another <see cref="DeliveryQueueOptions.MaxDequeueCount"/>
    /// tries; returns how many.</summary>
    public async Task<int> RetryPoisonAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var moved = 0;
        while (true)
        {
            QueueMessage[] batch = (await storage.DeliveryPoisonQueue.ReceiveMessagesAsync(32, HandlingLease, cancellationToken).ConfigureAwait(false)).Value;
            if (batch.Length == 0)
            {
                return moved;
            }

            foreach (var message in batch)
            {
                // Sent before the delete: a crash between the two leaves the message in both queues, and a message
                // handled twice sends nothing twice.
                await storage.DeliveryQueue.SendMessageAsync(message.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
                await storage.DeliveryPoisonQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                moved++;
            }
        }
    }

    private async Task<(T? Result, MessageOutcome Outcome)> HandleAsync<T>(
        QueueMessage message, Func<string, CancellationToken, Task<T>> handler, Func<Exception, T?> resultOfFailure, CancellationToken cancellationToken)
        where T : class
    {
        T result;
        try
        {
            result = await handler(message.Body.ToString(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Any failure of a message's handling is that message's: it is tried again, and poisoned after enough tries,
            // while the other messages go on.
            if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                LogPoisoned(logger, message.MessageId, message.DequeueCount, exception);
                await storage.DeliveryPoisonQueue.SendMessageAsync(message.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
                await storage.DeliveryQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                return (resultOfFailure(exception), MessageOutcome.Poisoned);
            }

            LogRetrying(logger, message.MessageId, message.DequeueCount, _options.MaxDequeueCount, exception);
            await storage.DeliveryQueue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (resultOfFailure(exception), MessageOutcome.Retrying);
        }

        await storage.DeliveryQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        return (result, MessageOutcome.Done);
    }

    private static DeliveryRequest? TryParse(string body)
    {
        try
        {
            return DeliveryMessage.Parse(body);
        }
        catch (InvalidDeliveryMessageException)
        {
            return null;
        }
    }

    private enum MessageOutcome
    {
        Done,
        Retrying,
        Poisoned,
    }

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Delivery message {MessageId} failed (try {DequeueCount} of {MaxDequeueCount}); it is tried again later")]
    private static partial void LogRetrying(ILogger logger, string messageId, long dequeueCount, int maxDequeueCount, Exception exception);

    [LoggerMessage(EventId = 1512, Level = LogLevel.Error, Message = "Delivery message {MessageId} failed {DequeueCount} times: moved to the poison queue (digest deliveries --failed lists it, --retry re-queues it)")]
    private static partial void LogPoisoned(ILogger logger, string messageId, long dequeueCount, Exception exception);
}
