using System.Diagnostics;
using System.Globalization;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Digest.BotLoad;

/// <summary>The storage half of the design the bot did not choose (issue 10): acknowledge an activity once it is in a
/// durable queue, handle it from there. Each activity is put in an Azure Storage queue at the rate, open loop (the put is
/// what the request would wait for before its 200), while consumers receive up to 32 at a time and delete each one
/// handled (the handling itself, and its reply to the connector, left out: this is the queue's share alone). Prints the
/// put's latency, the rates the queue sustained, and what was left behind.</summary>
internal static class DurableQueueLoad
{
    private const int Consumers = 4;

    public static async Task<int> RunAsync(string connectionString, string activityJson, int rate, int seconds, int warmUpSeconds, CancellationToken cancellationToken)
    {
        var queue = new QueueClient(connectionString, "botload-" + Guid.NewGuid().ToString("N")[..12]);
        await queue.CreateAsync(cancellationToken: cancellationToken);
        var put = 0;
        var deleted = 0;
        var received = 0;
        var receives = 0;
        var duplicates = 0;
        using var stopConsumers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumers = Enumerable.Range(0, Consumers).Select(_ => Task.Run(() => ConsumeAsync(queue, count => { Interlocked.Increment(ref receives); Interlocked.Add(ref received, count); }, () => Interlocked.Increment(ref deleted), () => Interlocked.Increment(ref duplicates), stopConsumers.Token), CancellationToken.None)).ToArray();

        async Task<(long Started, double Milliseconds, bool Ok)> PutAsync(int index)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await queue.SendMessageAsync(activityJson, cancellationToken);
                Interlocked.Increment(ref put);
                return (started, Stopwatch.GetElapsedTime(started).TotalMilliseconds, true);
            }
            catch (RequestFailedException)
            {
                return (started, Stopwatch.GetElapsedTime(started).TotalMilliseconds, false);
            }
        }

        await OpenLoop.RunAsync(0, rate * warmUpSeconds, rate, PutAsync, cancellationToken);
        var before = (Put: Volatile.Read(ref put), Received: Volatile.Read(ref received), Receives: Volatile.Read(ref receives), Deleted: Volatile.Read(ref deleted));
        var clock = Stopwatch.StartNew();
        var results = await OpenLoop.RunAsync(rate * warmUpSeconds, rate * seconds, rate, PutAsync, cancellationToken);
        var sendingTook = clock.Elapsed;
        var during = (Put: Volatile.Read(ref put) - before.Put, Received: Volatile.Read(ref received) - before.Received, Receives: Volatile.Read(ref receives) - before.Receives, Deleted: Volatile.Read(ref deleted) - before.Deleted);
        while (Volatile.Read(ref deleted) < Volatile.Read(ref put) && clock.Elapsed < sendingTook + TimeSpan.FromSeconds(60))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
        }

        var drained = clock.Elapsed;
        await stopConsumers.CancelAsync();
        await Task.WhenAll(consumers);
        await queue.DeleteAsync(CancellationToken.None);

        var invariant = CultureInfo.InvariantCulture;
        var latencies = results.Where(result => result.Ok).Select(result => result.Milliseconds).Order().ToArray();
        var errors = results.Count(result => !result.Ok);
        var took = sendingTook.TotalSeconds;
        Console.WriteLine(string.Create(invariant, $"Durable queue on Azurite: {rate} puts/s for {seconds} s ({results.Length} activities of {activityJson.Length} characters) after {warmUpSeconds} s of warm-up at that rate, {Consumers} consumers receiving up to 32 at a time (an empty queue asked again after 50 ms) and deleting each."));
        Console.WriteLine(string.Create(invariant, $"puts {results.Length}, achieved {results.Length / took:F1}/s, errors {errors}"));
        Console.WriteLine(string.Create(invariant, $"put latency ms (what the request would wait for): p50 {Percentiles.Of(latencies, 50):F2}  p90 {Percentiles.Of(latencies, 90):F2}  p99 {Percentiles.Of(latencies, 99):F2}  max {Percentiles.Of(latencies, 100):F2}"));
        Console.WriteLine(string.Create(invariant, $"while putting: {during.Received / took:F0} received/s, {during.Deleted / took:F0} deleted/s; storage requests {(during.Put + during.Receives + during.Deleted) / took:F0}/s ({during.Receives / took:F0} of them receives)"));
        Console.WriteLine(string.Create(invariant, $"received twice (deleted by the other consumer): {Volatile.Read(ref duplicates)}"));
        var left = Volatile.Read(ref put) - Volatile.Read(ref deleted);
        Console.WriteLine(left == 0
            ? string.Create(invariant, $"every activity consumed {(drained - sendingTook).TotalSeconds:F1} s after the last put")
            : string.Create(invariant, $"{left} activities still in the queue 60 s after the last put"));
        return errors == 0 && left == 0 ? 0 : 1;
    }

    private static async Task ConsumeAsync(QueueClient queue, Action<int> received, Action deletedOne, Action duplicateOne, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                QueueMessage[] messages = await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), cancellationToken);
                received(messages.Length);
                if (messages.Length == 0)
                {
                    // An idle consumer asks again soon: the user waits for the reply it sends.
                    await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
                    continue;
                }

                await Task.WhenAll(messages.Select(async message =>
                {
                    try
                    {
                        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                        deletedOne();
                    }
                    catch (RequestFailedException exception) when (exception.Status == 404)
                    {
                        // Received by two consumers at once and deleted by the other: queues deliver at least once.
                        duplicateOne();
                    }
                }));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopped
        }
    }
}
