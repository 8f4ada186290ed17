using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Digest.Bot;
using Digest.BotLoad;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;

// Open-loop load on the bot with its checks on: a request every 1/rate s whatever the answers do. --platform teams:
// Teams "help" messages from 1,000 conversations in 50 tenants with a valid RS256 channel token on /api/messages (the
// bot handles each, replies through the loopback connector and reads or writes the conversation's reference in Azurite); --platform slack: signed "/digest help"
// slash commands on /api/slack/commands (verified, handled, answered in the response, reference written to Azurite);
// --platform healthz: GET /healthz, the floor (the same machine, generator and HTTP stack, no work in the bot);
// --platform queue: no bot, the durable-queue alternative's storage share (DurableQueueLoad); --platform machine: nothing
// but the machine stall probe (MachineStallProbe), which also runs beside every load above.
// The bot is its own host (bot/'s Program) in a process of its own, configured through the environment; --in-process
// hosts it in this process instead, beside the load generator and the loopback servers. Prints latency percentiles,
// errors, this process's garbage collections, the processor time per request and the machine's own stalls while it ran.
// --warmup S (default 10): seconds at the rate before the measured ones.
// --bot-env NAME=VALUE (repeatable): an environment variable for the bot's own process only (a runtime setting such as
// DOTNET_GCgen0size, so the bot can be measured without touching the load generator). --timeline FILE: one CSV line per
// measured request (its start in ms from the first, its latency in ms, its status), to see when the slow ones happen.
//   dotnet run -c Release --project tests/Digest.BotLoad -- --platform teams --rate 1000 --seconds 10
//   dotnet run -c Release --project tests/Digest.BotLoad -- --platform slack --rate 1000 --seconds 10
//   dotnet run -c Release --project tests/Digest.BotLoad -- --platform machine --seconds 30
var platform = Text("--platform", "teams");
if (platform is not ("teams" or "slack" or "healthz" or "queue" or "machine"))
{
    Console.Error.WriteLine($"--platform takes teams, slack, healthz, queue or machine, not '{platform}'.");
    return 2;
}

var rate = Argument("--rate", 200);
var seconds = Argument("--seconds", 30);
var total = rate * seconds;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
var cancellationToken = stop.Token;

if (platform == "machine")
{
    // The machine alone, nothing else running: how often and how long it stalls by itself.
    if (!MachineStallProbe.IsSupported)
    {
        Console.Error.WriteLine("--platform machine reads the thread's processor clock, which only Linux has here.");
        return 2;
    }

    var alone = MachineStallProbe.Start();
    await Task.Delay(TimeSpan.FromSeconds(seconds), TimeProvider.System, cancellationToken);
    var (idleStalls, idleMedian) = alone.Stop();
    Console.WriteLine(MachineStallProbe.Describe(idleStalls, idleMedian, seconds));
    return 0;
}

await using var azurite = await AzuriteProcess.StartAsync(cancellationToken);
var appId = Guid.NewGuid().ToString();
if (platform == "queue")
{
    // The alternative to handling within the request, its storage share alone: each Teams activity put in a queue.
    var activity = TestActivities.Message(appId, "https://smba.trafficmanager.net/amer/", TestActivities.PersonalConversationId(), "help", id: "load-1").ToJsonString();
    return await DurableQueueLoad.RunAsync(azurite.ConnectionString, activity, rate, seconds, Argument("--warmup", 10), cancellationToken);
}

await using var identity = await TestIdentityProvider.StartAsync(appId, Guid.NewGuid().ToString(), cancellationToken);
await using var connector = await LoopbackConnector.StartAsync(cancellationToken, countOnly: true);
await using var slack = await LoopbackSlack.StartAsync(cancellationToken);
var configuration = BotTestHost.Configuration(identity, connector, azurite.ConnectionString);
foreach (var (key, value) in SlackTestSettings.Configuration(slack, azurite.ConnectionString).Where(setting => setting.Key.StartsWith("Slack:", StringComparison.Ordinal)))
{
    configuration[key] = value;
}

var inProcess = args.Contains("--in-process");
foreach (var setting in Values("--bot-env"))
{
    var equals = setting.IndexOf('=', StringComparison.Ordinal);
    if (equals <= 0 || inProcess)
    {
        Console.Error.WriteLine(inProcess ? "--bot-env applies to the bot's own process, not to --in-process." : $"--bot-env takes NAME=VALUE, not '{setting}'.");
        return 2;
    }

    // A name without ':' reaches the bot's environment as it is.
    configuration[setting[..equals]] = setting[(equals + 1)..];
}

await using IAsyncDisposable bot = inProcess ? await BotTestHost.StartAsync(configuration, cancellationToken) : await BotProcess.StartAsync(configuration, cancellationToken);
var botProcess = bot as BotProcess;
var botAddress = botProcess?.BaseAddress ?? ((BotTestHost)bot).BaseAddress;

// A channel reuses one token for its lifetime; the bot still verifies its signature on every request.
var token = identity.ChannelToken(connector.ServiceUrl);
// Teams holds a bot to 7 messages/s per conversation and 50/s per tenant, and the bot's connector client paces its
// replies under both: 1,000 requests/s come from many people in many tenants (1,000 conversations in 50 tenants: 1/s
// each, 20/s per tenant), never from one tenant, whose replies could not go out faster than 50/s.
var tenants = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid().ToString()).ToArray();
var conversations = Enumerable.Range(0, 1000).Select(index => (Id: TestActivities.PersonalConversationId(), Tenant: tenants[index % tenants.Length])).ToArray();
var channels = Enumerable.Range(0, 100).Select(index => "C0LOAD" + index.ToString("D4", CultureInfo.InvariantCulture)).ToArray();
using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = botAddress };
var slackClient = new SlackTestClient(client, SlackTestSettings.SigningSecret);

async Task<(long Started, double Milliseconds, HttpStatusCode? Status)> SendAsync(int index)
{
    var started = Stopwatch.GetTimestamp();
    try
    {
        using var response = platform switch
        {
            "slack" => await SlackAsync(index),
            "healthz" => await client.GetAsync(BotHostingExtensions.LivenessPath.TrimStart('/'), cancellationToken),
            _ => await TeamsAsync(index),
        };
        return (started, Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.StatusCode);
    }
    catch (HttpRequestException)
    {
        return (started, Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
    }
}

// Each conversation's activity is serialised once; every request gets its own activity id (the bot drops a repeated one).
const string IdPlaceholder = "LOAD-ACTIVITY-ID";
var activities = conversations.Select(conversation =>
    TestActivities.Message(appId, connector.ServiceUrl, conversation.Id, "help", tenantId: conversation.Tenant, id: IdPlaceholder).ToJsonString()).ToArray();

async Task<HttpResponseMessage> TeamsAsync(int index)
{
    var json = activities[index % activities.Length].Replace(IdPlaceholder, "load-" + index.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    using var request = new HttpRequestMessage(HttpMethod.Post, "api/messages") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
    return await client.SendAsync(request, cancellationToken);
}

// Each command has its own trigger_id, as Slack's do, so no two share a signature (the replay check refuses those).
Task<HttpResponseMessage> SlackAsync(int index) => slackClient.SignedAsync(SlackTestClient.CommandsPath, SlackTestClient.Form(
    ("team_id", SlackTestSettings.Team), ("channel_id", channels[index % channels.Length]), ("user_id", "U0LOAD"), ("command", "/digest"), ("text", "help"),
    ("response_url", slack.NewResponseUrl()), ("trigger_id", index.ToString(CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N"))),
    SlackTestClient.FormContentType, cancellationToken);

int Answered() => platform == "teams" ? connector.ArrivedCount : 0;

// Warm-up: JIT, key fetch, connection pool, tables, and a first contact from every conversation (its row written); then
// --warmup seconds at the rate, not measured: tiered compilation goes on optimising for seconds under load, and the
// measured seconds should see the bot, not the compiler at work beside it.
var warmUp = platform == "teams" ? conversations.Length : channels.Length;
for (var i = 0; i < warmUp; i++)
{
    await SendAsync(i);
}

var warmUpAtRate = rate * Argument("--warmup", 10);
await OpenLoopAsync(warmUp, warmUpAtRate);
while (platform == "teams" && connector.ArrivedCount < warmUp + warmUpAtRate)
{
    await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
}

var sentBefore = Answered();
Console.WriteLine($"Open-loop load on {platform}: {rate} requests/s for {seconds} s ({total} requests) after {warmUpAtRate / rate} s of warm-up at that rate, request checks on, Azurite storage.");
var gcBefore = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2), Paused: GC.GetTotalPauseDuration(), Allocated: GC.GetTotalAllocatedBytes());
var processorBefore = (Bot: botProcess?.ProcessorTime, Own: Process.GetCurrentProcess().TotalProcessorTime);
var probe = MachineStallProbe.IsSupported ? MachineStallProbe.Start() : null;
var clock = Stopwatch.StartNew();
var results = await OpenLoopAsync(warmUp + warmUpAtRate, total);
var sendingTook = clock.Elapsed;
var machine = probe?.Stop();
var processorDuring = (Bot: botProcess?.ProcessorTime - processorBefore.Bot, Own: Process.GetCurrentProcess().TotalProcessorTime - processorBefore.Own);
var gcDuring = (Gen0: GC.CollectionCount(0) - gcBefore.Gen0, Gen1: GC.CollectionCount(1) - gcBefore.Gen1, Gen2: GC.CollectionCount(2) - gcBefore.Gen2, Paused: GC.GetTotalPauseDuration() - gcBefore.Paused, Allocated: GC.GetTotalAllocatedBytes() - gcBefore.Allocated);
var accepted = results.Count(result => result.Status == HttpStatusCode.OK);
while (platform == "teams" && connector.ArrivedCount - sentBefore < accepted && clock.Elapsed < sendingTook + TimeSpan.FromSeconds(60))
{
    await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
}

var drained = clock.Elapsed;
var latencies = results.Select(result => result.Milliseconds).Order().ToArray();
var errors = results.Count(result => result.Status != HttpStatusCode.OK);
var invariant = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(invariant, $"requests {total}, achieved {total / sendingTook.TotalSeconds:F1}/s, errors {errors}"));
foreach (var group in results.Where(result => result.Status != HttpStatusCode.OK).GroupBy(result => result.Status))
{
    Console.WriteLine(string.Create(invariant, $"  {(group.Key is { } status ? ((int)status).ToString(invariant) : "no answer")}: {group.Count()}"));
}

Console.WriteLine(string.Create(invariant, $"garbage collections while sending: {gcDuring.Gen0} gen0, {gcDuring.Gen1} gen1, {gcDuring.Gen2} gen2; paused {gcDuring.Paused.TotalMilliseconds:F0} ms in all; {gcDuring.Allocated / total / 1024.0:F0} KB allocated per request in this process (the load generator and the loopback servers{(inProcess ? ", and the bot" : "")})"));
// Processor time is steadier from run to run than the tail, and on two shared cores it is what the tail grows with.
Console.WriteLine(string.Create(invariant, $"processor time per request: {(processorDuring.Bot is { } botProcessor ? $"bot {botProcessor.TotalMilliseconds / total:F3} ms, " : "")}this process {processorDuring.Own.TotalMilliseconds / total:F3} ms (the load generator and the loopback servers{(inProcess ? ", and the bot" : "")})"));
Console.WriteLine(string.Create(invariant, $"latency ms: p50 {Percentiles.Of(latencies, 50):F2}  p90 {Percentiles.Of(latencies, 90):F2}  p99 {Percentiles.Of(latencies, 99):F2}  max {latencies[^1]:F2}"));
// Slow requests come in bursts (each a few tens of milliseconds in which every request waits), not spread out: counted
// as the requests over 10 ms that started less than 50 ms after the one before them.
var slow = results.Where(result => result.Milliseconds > 10).Select(result => result.Started).Order().ToArray();
var bursts = slow.Where((started, index) => index == 0 || Stopwatch.GetElapsedTime(slow[index - 1], started) >= TimeSpan.FromMilliseconds(50)).Count();
Console.WriteLine(string.Create(invariant, $"requests over 10 ms: {slow.Length}, in {bursts} bursts"));
if (machine is var (stalls, medianMicroseconds))
{
    // What the machine did beside the requests: the tail of the ones that met none of its stalls is the bot's own.
    Console.WriteLine(MachineStallProbe.Describe(stalls, medianMicroseconds, sendingTook.TotalSeconds));
    var metStall = results.Select(result => stalls.Any(stall => stall.Overlaps(result.Started, result.Milliseconds))).ToArray();
    var calm = results.Where((_, index) => !metStall[index]).Select(result => result.Milliseconds).Order().ToArray();
    var slowInStalls = results.Where((result, index) => metStall[index] && result.Milliseconds > 10).Count();
    Console.WriteLine(string.Create(invariant, $"requests in flight during a machine stall: {metStall.Count(met => met)}, {slowInStalls} of the {slow.Length} over 10 ms; the other {calm.Length}: p99 {Percentiles.Of(calm, 99):F2} ms, {calm.Count(milliseconds => milliseconds > 10)} over 10 ms"));
}

if (Text("--timeline", "") is { Length: > 0 } timeline)
{
    await File.WriteAllLinesAsync(timeline, results.Select(result => string.Create(invariant,
        $"{Stopwatch.GetElapsedTime(results[0].Started, result.Started).TotalMilliseconds:F3},{result.Milliseconds:F3},{(result.Status is { } status ? (int)status : 0)}"))
        .Prepend("start_ms,latency_ms,status"), cancellationToken);
    // Stopwatch ticks are CLOCK_MONOTONIC nanoseconds on Linux: what perf record --clockid=monotonic stamps its samples with.
    Console.WriteLine(string.Create(invariant, $"timeline: {timeline}, start_ms counted from Stopwatch timestamp {results[0].Started} (frequency {Stopwatch.Frequency}/s)"));
}

if (platform == "teams")
{
    Console.WriteLine(string.Create(invariant, $"replies through the connector: {connector.ArrivedCount - sentBefore} for {accepted} requests answered 200, all sent {(drained - sendingTook).TotalSeconds:F1} s after the last request"));
}

return errors == 0 ? 0 : 1;

Task<(long Started, double Milliseconds, HttpStatusCode? Status)[]> OpenLoopAsync(int firstIndex, int count) =>
    OpenLoop.RunAsync(firstIndex, count, rate, SendAsync, cancellationToken);

int Argument(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

IEnumerable<string> Values(string name)
{
    for (var index = Array.IndexOf(args, name); index >= 0 && index + 1 < args.Length; index = Array.IndexOf(args, name, index + 2))
    {
        yield return args[index + 1];
    }
}

string Text(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}
