using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;

// Open-loop load on /api/messages with token validation on: a request every 1/rate s whatever the answers do,
// each a Teams "help" message with a valid RS256 channel token (the bot queues it, replies through the loopback
// connector and writes the conversation's reference to Azurite). Prints latency percentiles and errors.
//   dotnet run -c Release --project tests/Digest.BotLoad -- --rate 200 --seconds 30
var rate = Argument("--rate", 200);
var seconds = Argument("--seconds", 30);
var total = rate * seconds;
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
var cancellationToken = stop.Token;

await using var azurite = await AzuriteProcess.StartAsync(cancellationToken);
var appId = Guid.NewGuid().ToString();
await using var identity = await TestIdentityProvider.StartAsync(appId, Guid.NewGuid().ToString(), cancellationToken);
await using var connector = await LoopbackConnector.StartAsync(cancellationToken);
await using var bot = await BotTestHost.StartAsync(BotTestHost.Configuration(identity, connector, azurite.ConnectionString), cancellationToken);

// A channel reuses one token for its lifetime; the bot still verifies its signature on every request.
var token = identity.ChannelToken(connector.ServiceUrl);
var conversations = Enumerable.Range(0, 100).Select(_ => TestActivities.PersonalConversationId()).ToArray();
using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = bot.BaseAddress };

async Task<(double Milliseconds, HttpStatusCode? Status)> SendAsync(int index)
{
    var json = TestActivities.Message(appId, connector.ServiceUrl, conversations[index % conversations.Length], "help").ToJsonString();
    using var request = new HttpRequestMessage(HttpMethod.Post, "api/messages") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
    var started = Stopwatch.GetTimestamp();
    try
    {
        using var response = await client.SendAsync(request, cancellationToken);
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, response.StatusCode);
    }
    catch (HttpRequestException)
    {
        return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, null);
    }
}

// Warm-up: JIT, key fetch, connection pool, tables.
for (var i = 0; i < 200; i++)
{
    await SendAsync(i);
}

while (connector.All.Count < 200)
{
    await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
}

var sentBefore = connector.All.Count;
Console.WriteLine($"Open-loop load: {rate} requests/s for {seconds} s ({total} requests), token validation on, Azurite storage.");
var tasks = new Task<(double Milliseconds, HttpStatusCode? Status)>[total];
var clock = Stopwatch.StartNew();
for (var i = 0; i < total; i++)
{
    var due = TimeSpan.FromSeconds((double)i / rate);
    var wait = due - clock.Elapsed;
    if (wait > TimeSpan.FromMilliseconds(1))
    {
        await Task.Delay(wait, TimeProvider.System, cancellationToken);
    }

    tasks[i] = SendAsync(i);
}

var results = await Task.WhenAll(tasks);
var sendingTook = clock.Elapsed;
while (connector.All.Count - sentBefore < total && clock.Elapsed < sendingTook + TimeSpan.FromSeconds(60))
{
    await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, cancellationToken);
}

var drained = clock.Elapsed;
var latencies = results.Select(result => result.Milliseconds).Order().ToArray();
var errors = results.Count(result => result.Status != HttpStatusCode.OK);
double Percentile(double p) => latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Length) - 1, 0, latencies.Length - 1)];
var invariant = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(invariant, $"requests {total}, achieved {total / sendingTook.TotalSeconds:F1}/s, errors {errors}"));
Console.WriteLine(string.Create(invariant, $"latency ms: p50 {Percentile(50):F2}  p90 {Percentile(90):F2}  p99 {Percentile(99):F2}  max {latencies[^1]:F2}"));
Console.WriteLine(string.Create(invariant, $"replies through the connector: {connector.All.Count - sentBefore}/{total}, all sent {(drained - sendingTook).TotalSeconds:F1} s after the last request"));
return errors == 0 ? 0 : 1;

int Argument(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}
