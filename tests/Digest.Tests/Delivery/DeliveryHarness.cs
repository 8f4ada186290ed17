using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Delivery;
using Digest.Papers;
using Digest.Rules;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Digest.Tests.Delivery;

/// <summary>The notifier as <c>AddDigestNotifier</c> wires it, on Azurite, against the loopback connector and token
/// endpoint of the bot's tests, with a <see cref="FakeTimeProvider"/>. Subscriptions and rules are written through
/// <see cref="SubscriptionStore"/>, papers through the crawl's differ and store (<see cref="PaperSeeder"/>).</summary>
public sealed class DeliveryHarness : IAsyncDisposable
{
    public const string Fixture = "api_daily_papers_2026-06-12_sotawhat.json";

    private readonly IHost _host;

    private DeliveryHarness(IHost host, FakeTimeProvider time, LoopbackConnector connector, TestIdentityProvider identity)
    {
        _host = host;
        Time = time;
        Connector = connector;
        Identity = identity;
    }

    public FakeTimeProvider Time { get; }

    public LoopbackConnector Connector { get; }

    public TestIdentityProvider Identity { get; }

    public IServiceProvider Services => _host.Services;

    public SubscriptionStore Store => Services.GetRequiredService<SubscriptionStore>();

    public DeliveryOutbox Outbox => Services.GetRequiredService<DeliveryOutbox>();

    public NotifySubscribers Notifier => Services.GetRequiredService<NotifySubscribers>();

    public DeliveryWatermarks Watermarks => Services.GetRequiredService<DeliveryWatermarks>();

    /// <summary>The subscription's watermark as the planner sees it.</summary>
    public async Task<DateTimeOffset?> WatermarkAsync(ConversationKey key, CancellationToken cancellationToken) =>
        (await Watermarks.ApplyAsync((await Store.GetAsync(key, cancellationToken))!, cancellationToken)).DeliveryWatermark;

    public DeliveryOptions Options => Services.GetRequiredService<IOptions<DeliveryOptions>>().Value;

    public static async Task<DeliveryHarness> StartAsync(AzuriteFixture azurite, DateTimeOffset now, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        var identity = await TestIdentityProvider.StartAsync(Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), cancellationToken);
        var connector = await LoopbackConnector.StartAsync(cancellationToken);
        var values = BotTestHost.Configuration(identity, connector, azurite.ConnectionString);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var time = new FakeTimeProvider(now);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(values);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddDigestNotifier();
        var host = builder.Build();
        host.Services.GetRequiredService<IStartupValidator>().Validate();
        return new DeliveryHarness(host, time, connector, identity);
    }

    /// <summary>Seeds the fixture's 30 papers, first seen at <paramref name="seenAt"/> (the crawl's New changes).</summary>
    public Task<IReadOnlyList<Paper>> SeedPapersAsync(DateTimeOffset seenAt, CancellationToken cancellationToken) =>
        PaperSeeder.SeedAsync(Services.GetRequiredService<DigestStorage>(), TestData.HfPapers(Fixture), DateOnly.FromDateTime(seenAt.UtcDateTime), seenAt, cancellationToken);

    /// <summary>The fixture's papers as the crawl would read them, listed on the day of <paramref name="listedOn"/>.</summary>
    public static Task<IReadOnlyList<Paper>> FixturePapersAsync(DateTimeOffset listedOn, CancellationToken cancellationToken) =>
        PaperSeeder.ReadAsync(TestData.HfPapers(Fixture), DateOnly.FromDateTime(listedOn.UtcDateTime), cancellationToken);

    /// <summary>A fetch at <paramref name="seenAt"/> of a page listing <paramref name="papers"/>, diffed as the crawl does.</summary>
    public Task ObserveAsync(IReadOnlyList<Paper> papers, DateTimeOffset seenAt, CancellationToken cancellationToken) =>
        PaperSeeder.ObserveAsync(Services.GetRequiredService<DigestStorage>(), papers, seenAt, cancellationToken);

    /// <summary>Records every paper again as New on another page at <paramref name="seenAt"/> (as a replay or a second
    /// page would), and changes <paramref name="changed"/>'s title with an Updated change.</summary>
    public async Task ReannounceAsync(IReadOnlyList<Paper> papers, Paper changed, DateTimeOffset seenAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(papers);
        ArgumentNullException.ThrowIfNull(changed);
        var storage = Services.GetRequiredService<DigestStorage>();
        var store = new PaperStore(storage);
        var changes = papers.Select(paper => new ChangeRow
        {
            PartitionKey = ChangeRow.PartitionFor(seenAt),
            RowKey = ChangeRow.KeyFor(seenAt, "trending", paper.Id, ChangeKind.New),
            Kind = ChangeKind.New,
            PaperId = paper.Id,
            Title = paper.Title,
            PageKey = "trending",
            SnapshotId = $"{seenAt.UtcTicks:D19}",
            DetectedAt = seenAt,
        }).ToList();
        var first = (await store.ReadAsync([changed.Id], cancellationToken))[changed.Id];
        first.Title += " (v2)";
        await storage.Papers.UpdateEntityAsync(first, first.ETag, cancellationToken: cancellationToken);
        changes.Add(new ChangeRow
        {
            PartitionKey = ChangeRow.PartitionFor(seenAt),
            RowKey = ChangeRow.KeyFor(seenAt, "trending", changed.Id, ChangeKind.Updated),
            Kind = ChangeKind.Updated,
            PaperId = changed.Id,
            Title = first.Title,
            PageKey = "trending",
            SnapshotId = $"{seenAt.UtcTicks:D19}",
            DetectedAt = seenAt,
            Fields = "title",
        });
        await store.WriteChangesAsync(changes, cancellationToken);
    }

    /// <summary>A Teams personal conversation, subscribed with <paramref name="rules"/>, in <paramref name="mode"/>.</summary>
    public async Task<ConversationKey> SubscribeAsync(string conversationId, DeliveryMode mode, CancellationToken cancellationToken, params string[] rules)
    {
        var key = ConversationKey.Create("msteams", TestActivities.TenantId, conversationId);
        var reference = new ConversationReference
        {
            ChannelId = "msteams",
            ServiceUrl = Connector.ServiceUrl,
            Conversation = new ConversationAccount { Id = conversationId, ConversationType = "personal", TenantId = TestActivities.TenantId },
            Bot = new ChannelAccount { Id = "28:" + Identity.AppId, Name = "Paper Alerts" },
        };
        await Store.RecordContactAsync(key, TeamsAddress.From(reference), cancellationToken);
        await Store.UpdateAsync(key, null, current => current with { Subscribed = true, Mode = mode }, cancellationToken);
        foreach (var rule in rules)
        {
            await Store.AddRuleAsync(key, rule, cancellationToken);
        }

        return key;
    }

    /// <summary>The papers of <paramref name="papers"/> that any of <paramref name="rules"/> matches, by the evaluator alone.</summary>
    public static HashSet<string> Expected(IReadOnlyList<Paper> papers, params string[] rules) =>
        [.. papers.Where(paper => rules.Any(rule => RuleParser.Parse(rule).Rule!.IsMatch(paper))).Select(paper => paper.Id)];

    /// <summary>Every request the connector received so far, for one conversation.</summary>
    public List<ConnectorRequest> SentTo(string conversationId) =>
        [.. Connector.All.Where(request => request.RawTarget.Contains(Uri.EscapeDataString(conversationId), StringComparison.Ordinal))];

    /// <summary>The paper ids the cards sent to a conversation carry (each card links every paper it shows; a text
    /// message, such as the "nothing matched" note, carries none).</summary>
    public List<string> PapersSentTo(string conversationId, IReadOnlyList<Paper> papers) =>
        [.. SentTo(conversationId).Where(request => request.Card is not null)
            .SelectMany(request => papers.Where(paper => request.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal)).Select(paper => paper.Id))];

    /// <summary>The paper ids of the cards the connector accepted (answered with success) for a conversation: what
    /// arrived, as opposed to what was attempted.</summary>
    public List<string> PapersAcceptedBy(string conversationId, IReadOnlyList<Paper> papers) =>
        [.. Connector.Accepted
            .Where(request => request.RawTarget.Contains(Uri.EscapeDataString(conversationId), StringComparison.Ordinal))
            .SelectMany(request => papers.Where(paper => request.Card!.ToJsonString().Contains("/papers/" + paper.Id, StringComparison.Ordinal)).Select(paper => paper.Id))];

    public async ValueTask DisposeAsync()
    {
        _host.Dispose();
        await Connector.DisposeAsync();
        await Identity.DisposeAsync();
    }
}
