using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Digest.Crawling;
using Digest.Delivery;
using Digest.Delivery.Queue;
using Digest.FanOut;
using Digest.Papers;
using Digest.Parsing;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The notifier's fan-out benchmark: N subscriptions in 100 tenants, 5 rules each; a first run makes them known (new
// subscriptions), then 50 new papers arrive and one notifier run sends them against a loopback Bot Connector, then a
// second run finds nothing new. Starts its own Azurite (in memory; --on-disk keeps its data in a temporary folder).
//   dotnet run -c Release --project tests/Digest.FanOut -- --subscriptions 10000            # unthrottled connector
//   dotnet run -c Release --project tests/Digest.FanOut -- --subscriptions 10000 --limited  # Teams' limits, 429 past them
//   dotnet run -c Release --project tests/Digest.FanOut -- --subscriptions 10000 --queue 4  # through the queue, 4 consumers
// --queue N: NotifySubscribers as the Function App runs it (plan, one queue message per subscription), then N consumers
// in this process standing in for N scaled-out instances, each handling InstanceBatchSize messages at once as one Functions
// instance does (host.json's queues batchSize); messages carry keys and the plan id, not rows, so consumers read them.
var subscriptionCount = Option("--subscriptions", 1000);
var concurrency = Option("--concurrency", 64);
var limited = args.Contains("--limited");
var onDisk = args.Contains("--on-disk");
var queueConsumers = Option("--queue", 0);
const int InstanceBatchSize = 16;
using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(60));
var ct = cancel.Token;
var loadAtStart = Load();

await using var azurite = await AzuriteProcess.StartAsync(ct, onDisk);
await using var connector = await TeamsLimitedConnector.StartAsync(limited, ct);
var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Storage:ConnectionString"] = azurite.ConnectionString,
    ["Storage:NamePrefix"] = "fan" + Guid.NewGuid().ToString("N")[..8],
    ["Delivery:MaxConcurrentSends"] = concurrency.ToString(CultureInfo.InvariantCulture),
    ["Bot:Connector:MessagesPerConversationPerSecond"] = limited ? "7" : "100",
    ["Bot:Connector:RequestsPerTenantPerSecond"] = limited ? "50" : "1000",
});
builder.Logging.SetMinimumLevel(LogLevel.Error);
builder.Services.AddDigestNotifier();
using var host = builder.Build();
var services = host.Services;
var counter = services.GetRequiredService<StorageRequestCounter>();
var time = TimeProvider.System;

// 50 real papers (the corpus pages, parsed as the crawl parses them); they are first seen after the subscriptions.
var parser = new PageParser();
var corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "corpus")).Order(StringComparer.Ordinal)
    .SelectMany(file => parser.Parse(new PageToParse(File.ReadAllBytes(file), "text/plain", new Uri("https://huggingface.co/papers"), time.GetUtcNow(), null)).Papers)
    .DistinctBy(paper => paper.Id).ToList();
var papers = corpus.Take(50).ToList();
var storage = services.GetRequiredService<DigestStorage>();
await storage.EnsureCreatedAsync(ct);

// Rules: one word of a new paper's title (a hit) and four words of the other corpus papers only (misses).
var hits = Words(papers).ToList();
var misses = Words(corpus.Skip(50)).Except(Words(papers)).ToList();
var store = services.GetRequiredService<SubscriptionStore>();
var seeding = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, subscriptionCount), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = ct }, async (i, token) =>
{
    var key = await store.SubscribeConversationAsync(connector.ServiceUrl, $"tenant-{i % 100:D3}", $"a:bench-{i:D6}", token);
    // One transaction: adding them one by one lists the rules each time, and Azurite scans the whole table for that.
    await store.ImportRulesAsync(key, [hits[i % hits.Count], .. Enumerable.Range(1, 4).Select(rule => misses[((i * 4) + rule) % misses.Count])], token);
});
seeding.Stop();

var planner = services.GetRequiredService<DeliveryPlanner>();
var sender = services.GetRequiredService<DeliverySender>();
var dispatcher = services.GetRequiredService<DeliveryDispatcher>();
var consumer = services.GetRequiredService<DeliveryConsumer>();
var queue = services.GetRequiredService<DeliveryQueue>();
var known = await RunAsync();

var seenAt = time.GetUtcNow().AddMinutes(-5);
var diff = PaperDiffer.Diff(new ParsedPage(papers, ParsePath.PlainText, null, []), new SnapshotContext("bench", $"{seenAt.UtcTicks:D19}", seenAt), new Dictionary<string, PaperRow>(), []);
var paperStore = services.GetRequiredService<PaperStore>();
await paperStore.WriteAsync(diff.PaperWrites, ct);
await paperStore.WriteChangesAsync(diff.ChangeRowsToWrite, ct);
var first = await RunAsync();
var second = await RunAsync();

Console.WriteLine($"seeded {subscriptionCount:N0} subscriptions ({subscriptionCount * 5:N0} rules) in {seeding.Elapsed.TotalSeconds:F1} s; connector {(limited ? "with Teams' limits (7/s per conversation, 50/s per tenant)" : "unthrottled")}; Azurite {(onDisk ? "on disk" : "in memory")}; " +
    (queueConsumers > 0 ? $"through the delivery queue, {queueConsumers} consumers" : $"sender called directly, {concurrency} at once"));
Console.WriteLine($"load average (1, 5, 15 min) at start: {loadAtStart}; at end: {Load()}");
Console.WriteLine("run               plan s   send s   messages   msg/s   429s   429 share   plan reads  plan writes   send reads  send writes  send tx/sub");
foreach (var (name, run) in new[] { ("new subscriptions", known), ("50 new papers", first), ("nothing new", second) })
{
    Console.WriteLine(FormattableString.Invariant(
        $"{name,-17} {run.PlanSeconds,6:F2} {run.SendSeconds,8:F2} {run.Messages,10:N0} {run.MessagesPerSecond,7:F0} {run.Throttled,6:N0} {run.ThrottledShare,10:P2} {run.Plan.Reads,12:N0} {run.Plan.Writes,12:N0} {run.Send.Reads,12:N0} {run.Send.Writes,12:N0} {run.SendTransactionsPerSubscription,12:F2}"));
}

Console.WriteLine(JsonSerializer.Serialize(new { subscriptions = subscriptionCount, limited, onDisk, concurrency, queueConsumers, loadAtStart, loadAtEnd = Load(), known, first, second }));
return 0;

async Task<RunResult> RunAsync()
{
    var throttledBefore = connector.Throttled;
    var before = counter.Current;
    var planning = Stopwatch.StartNew();
    var plan = queueConsumers > 0 ? (await dispatcher.PlanAndEnqueueAsync(ct)).Plan : await planner.PlanAsync(sendHere: true, ct);
    planning.Stop();
    var planned = counter.Current;
    var sending = Stopwatch.StartNew();
    IReadOnlyList<SubscriptionDelivery> results;
    if (queueConsumers > 0)
    {
        results = (await queue.DrainAsync(consumer.DeliverAsync, failure => (failure as DeliveryNotCompletedException)?.Result, ct, queueConsumers * InstanceBatchSize)).Results;
    }
    else
    {
        var sent = new SubscriptionDelivery[plan.Requests.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, plan.Requests.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (i, token) => sent[i] = await sender.SendAsync(plan.Requests[i], token));
        results = sent;
    }

    sending.Stop();
    var messages = results.Sum(result => result.MessagesSent);
    var throttled = connector.Throttled - throttledBefore;
    return new RunResult(
        planning.Elapsed.TotalSeconds, sending.Elapsed.TotalSeconds, messages, results.Sum(result => result.PapersSent),
        results.Count(result => result.Outcome == DeliveryOutcome.Failed),
        messages / Math.Max(sending.Elapsed.TotalSeconds, 0.001), throttled, throttled / (double)Math.Max(messages + throttled, 1),
        planned - before, counter.Current - planned, plan.Requests.Count == 0 ? 0 : (counter.Current - planned).Total / (double)plan.Requests.Count);
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

// The machine is shared: every number is printed with the load it was measured under.
static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static IEnumerable<string> Words(IEnumerable<Paper> papers) =>
    papers.SelectMany(paper => paper.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(word => word.Trim(',', '.', ':', ';', '(', ')').ToLowerInvariant())
        .Where(word => word.Length >= 6 && word.All(char.IsAsciiLetter))
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal);

internal sealed record RunResult(
    double PlanSeconds, double SendSeconds, int Messages, int Papers, int FailedSubscriptions, double MessagesPerSecond, long Throttled, double ThrottledShare,
    StorageTransactions Plan, StorageTransactions Send, double SendTransactionsPerSubscription);
