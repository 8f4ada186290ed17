using Digest.Papers;
using Digest.Rules;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Delivery;

/// <summary>What a planner run decided.</summary>
/// <param name="PlannedAt">The run's time: every request carries it, and rows planned now are stamped with it.</param>
/// <param name="Due">The due subscriptions with rules, whether or not anything matched for them.</param>
/// <param name="RulesIndexed">Rules of all due subscriptions, compiled into the one <see cref="RuleIndex"/> of the run.</param>
/// <param name="PapersConsidered">Papers that changes in the window re-opened, matched against that index.</param>
/// <param name="PapersPlanned">New Pending rows: (subscription, paper) pairs planned for the first time.</param>
/// <param name="Requests">The subscriptions to send to: those with new rows and those with rows left Pending before.</param>
public sealed record DeliveryPlan(DateTimeOffset PlannedAt, IReadOnlyList<ConversationKey> Due, int RulesIndexed, int PapersConsidered, int PapersPlanned, IReadOnlyList<DeliveryRequest> Requests);

/// <summary>
/// The planning half of the notifier: matches the papers that changes re-opened (<see cref="ChangedPapers"/>) against
/// the rules of every due subscription in one <see cref="RuleIndex"/>, and records each new (subscription, paper) match
/// as a Pending row of the outbox. A row is inserted only when none exists, so a pair is planned, and therefore sent, at
/// most once, whoever plans it and however often.
/// </summary>
/// <remarks>
/// Its cost does not grow with subscriptions that have nothing new: subscriptions, their watermarks, rules and the index
/// of subscriptions with Pending rows (<see cref="PendingDeliveries"/>) are each read with one paged query, and an instant subscription's
/// window starts at the later of its own watermark and the last finished run (<see cref="PlannerState"/>), so nothing is
/// written for it unless papers were planned for it. A daily subscription's watermark is written when it is due (the
/// schedule reads it), a new subscription's once; both 100 to a transaction (<see cref="DeliveryWatermarks"/>).
/// </remarks>
public sealed partial class DeliveryPlanner(
    SubscriptionStore subscriptions,
    PaperStore papers,
    DigestStorage storage,
    DeliveryOutbox outbox,
    PendingDeliveries pending,
    DeliveryWatermarks watermarks,
    PlannerState state,
    PaperCorpus corpus,
    IOptions<DeliveryOptions> options,
    DigestMetrics metrics,
    TimeProvider time,
    ILogger<DeliveryPlanner> logger)
{
    private readonly DeliveryOptions _options = options.Value;

    // The planner lives as long as the process: each run compiles only the rules it has not seen in earlier runs.
    private readonly RuleIndexCache _ruleIndexes = new();

    /// <summary>Plans every due subscription, for senders elsewhere (a queue's consumers).</summary>
    public Task<DeliveryPlan> PlanAsync(CancellationToken cancellationToken) => PlanAsync(sendHere: false, cancellationToken);

    /// <summary>Plans every due subscription. With <paramref name="sendHere"/>, for senders of this process: a request
    /// then carries the rows it planned and, where this run created the subscription's marker, the lease on it, taken in
    /// the same write that marks it again, so that its sender sends with no storage request before the messages.</summary>
    public async Task<DeliveryPlan> PlanAsync(bool sendHere, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var activeByKey = new Dictionary<ConversationKey, Subscription>();
        var quietNow = new HashSet<ConversationKey>();
        var active = new List<Subscription>();
        var stored = await subscriptions.ListActiveAsync(cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var watermarkOf = stored.Count == 0 ? [] : await watermarks.ListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var subscription in stored.Select(subscription => DeliveryWatermarks.Apply(subscription, watermarkOf)))
        {
            activeByKey[subscription.Key] = subscription;
            if (DeliverySchedule.IsQuiet(subscription.QuietDays, now))
            {
                quietNow.Add(subscription.Key);
            }

            if (DeliverySchedule.IsDue(subscription.Mode, subscription.QuietDays, subscription.DeliveryWatermark, now))
            {
                active.Add(subscription);
            }
        }

        var rulesByKey = active.Count == 0
            ? []
            : await subscriptions.ListRulesOfAsync(active.Select(subscription => subscription.Key), cancellationToken).ConfigureAwait(false);
        var lastPlannedAt = active.Count == 0 ? null : await state.GetLastPlannedAtAsync(cancellationToken).ConfigureAwait(false);
        var statistics = await StatisticsForAsync(rulesByKey.Values.SelectMany(rules => rules), cancellationToken).ConfigureAwait(false);
        var due = active
            .Select(subscription => new DueSubscription(subscription, rulesByKey.TryGetValue(subscription.Key, out var rules) ? Compile(subscription.Key, rules, statistics) : [], Since(subscription, lastPlannedAt, now)))
            .Where(subscription => subscription.Rules.Count > 0)
            .ToList();
        // Read before planning: a subscription without a marker has no Pending rows (see PendingDeliveries.MarkPlannedAsync).
        var marked = activeByKey.Count == 0 ? [] : await pending.ListAsync(cancellationToken).ConfigureAwait(false);
        var rows = await PlanRowsAsync(due, now, lastPlannedAt, marked.Select(request => request.Key).ToHashSet(), sendHere, cancellationToken).ConfigureAwait(false);

        // Only now does the run count as finished: a crash before leaves the window where it was, and the next run plans
        // again (the receipts keep it from planning twice); rows a crash left are marked, so a later run sends them.
        await watermarks.SetAsync(
            due.Where(subscription => subscription.Subscription.DeliveryWatermark is null || subscription.Subscription.Mode.Cadence != DeliveryCadence.Instant)
                .Select(subscription => subscription.Subscription.Key),
            now, cancellationToken).ConfigureAwait(false);

        if (due.Count > 0)
        {
            await state.SetLastPlannedAtAsync(now, lastPlannedAt, cancellationToken).ConfigureAwait(false);
        }

        // Rows wait while their subscription is paused, unsubscribed, removed or on a quiet day, and go once it is active
        // again. The requests carry what this run read and wrote, so that a sender in this process does not read it
        // again: where this run created the marker and nothing touched it since, the rows it planned are all there is to
        // send, and the lease it took for the sender spares that sender a request.
        // A daily or weekly digest due now that asks for a "nothing matched" note gets a request even with nothing to
        // send: the sender sends the note then. A subscription without a marker has no Pending rows.
        var markedKeys = marked.Select(request => request.Key).ToHashSet();
        var noting = due.Select(subscription => subscription.Subscription)
            .Where(subscription => subscription.NothingMatchedNote && subscription.Mode.Cadence != DeliveryCadence.Instant)
            .Select(subscription => subscription.Key).ToHashSet();
        var leased = rows.Markers.Where(marker => marker.Value.Lease is not null && rows.Planned.ContainsKey(marker.Key))
            .ToDictionary(marker => marker.Key, marker => marker.Value.Lease!);
        var requests = markedKeys.Union(rows.Markers.Keys).Union(noting)
            .Where(key => activeByKey.ContainsKey(key) && !quietNow.Contains(key))
            .OrderBy(key => key.PartitionKey, StringComparer.Ordinal)
            .Select(key => new DeliveryRequest(key, now)
            {
                Subscription = activeByKey[key],
                Papers = rows.Papers,
                NothingNote = noting.Contains(key),
                Lease = leased.GetValueOrDefault(key),
                Rows = leased.ContainsKey(key) ? rows.Planned[key] : null,
            })
            .ToList();
        var plan = new DeliveryPlan(now, [.. due.Select(subscription => subscription.Subscription.Key)], rows.Rules, rows.Papers.Count, rows.Planned.Values.Sum(planned => planned.Count), requests);
        LogPlanned(logger, due.Count, rows.Rules, rows.Papers.Count, plan.PapersPlanned, requests.Count);
        return plan;
    }

    /// <summary>Plans one subscription now, whatever its mode (the <c>digest</c> command), through the same rows and
    /// receipts as the scheduled runs; null when it has no rules.</summary>
    public async Task<DeliveryRequest?> PlanOneAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var now = time.GetUtcNow();
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        subscription = await watermarks.ApplyAsync(subscription, cancellationToken).ConfigureAwait(false);
        var stored = await subscriptions.ListRulesAsync(subscription.Key, cancellationToken).ConfigureAwait(false);
        var rules = Compile(subscription.Key, stored, await StatisticsForAsync(stored, cancellationToken).ConfigureAwait(false));
        if (rules.Count == 0)
        {
            return null;
        }

        var lastPlannedAt = await state.GetLastPlannedAtAsync(cancellationToken).ConfigureAwait(false);
        // Its marker is replaced, never taken as created: the sender lists the rows, since the scheduled run may be
        // planning the same subscription.
        await PlanRowsAsync([new DueSubscription(subscription, rules, Since(subscription, lastPlannedAt, now))], now, lastPlannedAt, new HashSet<ConversationKey> { subscription.Key }, leaseCreated: false, cancellationToken).ConfigureAwait(false);
        await watermarks.SetAsync([subscription.Key], now, cancellationToken).ConfigureAwait(false);
        return new DeliveryRequest(subscription.Key, now) { Subscription = subscription };
    }

    /// <summary>Where a subscription's window starts: for an instant one, the later of its watermark and the last
    /// finished run, less <see cref="DeliveryOptions.ChangeOverlap"/>; for a daily one, its watermark (its last digest);
    /// for a new one, <see cref="DeliveryOptions.InitialLookBack"/> ago.</summary>
    public DateTimeOffset Since(Subscription subscription, DateTimeOffset? lastPlannedAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (subscription.DeliveryWatermark is not { } watermark)
        {
            return now - _options.InitialLookBack;
        }

        var start = subscription.Mode.Cadence == DeliveryCadence.Instant && lastPlannedAt > watermark ? lastPlannedAt.Value : watermark;
        return start - _options.ChangeOverlap;
    }

    // Inserts the Pending rows of every due subscription's new matches (DeliveryOutbox: a tenant's in transactions of
    // 100, pairs an earlier run may have planned looked up first), with their subscriptions marked before (so that a
    // crash leaves no Pending row unmarked) and after (so that a sender that leased the marker before the rows were
    // inserted cannot remove it). Returns the rules indexed, the papers considered, the rows each subscription got and
    // the markers, with which of them this run created and still has untouched.
    private async Task<PlannedRows> PlanRowsAsync(List<DueSubscription> due, DateTimeOffset now, DateTimeOffset? lastPlannedAt, IReadOnlySet<ConversationKey> marked, bool leaseCreated, CancellationToken cancellationToken)
    {
        if (due.Count == 0)
        {
            return new PlannedRows(0, new Dictionary<string, Paper>(StringComparer.Ordinal), [], []);
        }

        var changed = await ChangedPapers.ReadAsync(papers, due.Min(subscription => subscription.Since), cancellationToken).ConfigureAwait(false);
        corpus.Update(changed.Current);
        var index = _ruleIndexes.Build(due.SelectMany(subscription => subscription.Rules));
        var candidates = Candidates(index, changed, due);
        var pairs = due.SelectMany(subscription => candidates[subscription.Subscription.Key.PartitionKey].Select(candidate => new PlannedPaper(
                subscription.Subscription.Key, candidate.Matched.Paper.Id, candidate.Matched.Highlights, candidate.ReopenedAt,
                changed.TraceParentOf(candidate.Matched.Paper.Id, subscription.Since))))
            .ToList();
        var missing = await outbox.WithoutRowsAsync(pairs, lastPlannedAt, _options.MaxConcurrentSends, cancellationToken).ConfigureAwait(false);
        var before = await pending.MarkPlannedAsync(missing.Select(pair => pair.Key), marked, now, cancellationToken).ConfigureAwait(false);
        var rows = await outbox.PlanAsync(missing, now, _options.MaxConcurrentSends, cancellationToken).ConfigureAwait(false);

        // New matches only: the window overlaps the last run's (Delivery:ChangeOverlap), so its candidates repeat.
        metrics.RuleMatches(rows.Count);
        var keys = due.ToDictionary(subscription => subscription.Subscription.Key.PartitionKey, subscription => subscription.Subscription.Key, StringComparer.Ordinal);
        var planned = rows.GroupBy(row => row.Conversation, StringComparer.Ordinal).ToDictionary(group => keys[group.Key], group => (IReadOnlyList<DeliveryRow>)[.. group]);
        var markers = await pending.MarkAgainAsync(before.Where(marker => planned.ContainsKey(marker.Key)).ToDictionary(), now, leaseCreated, cancellationToken).ConfigureAwait(false);
        foreach (var (key, marker) in before.Where(marker => !markers.ContainsKey(marker.Key)))
        {
            markers[key] = marker with { Created = false }; // marked, but nothing planned for it after all
        }

        return new PlannedRows(index.Count, changed.Current.ToDictionary(paper => paper.Id, StringComparer.Ordinal), planned, markers);
    }

    // A rule stored under an older grammar is skipped rather than failing the subscription (so is a like: rule whose
    // paper is gone).
    private static List<IndexedRule> Compile(ConversationKey key, IReadOnlyList<StoredRule> rules, CorpusStatistics? statistics) =>
        [.. rules.Select(rule => RuleParser.TryParse(rule.Text, statistics, out var compiled, out _) ? new IndexedRule(rule.RowKey, key.PartitionKey, compiled) : null)
            .OfType<IndexedRule>()];

    // The stored papers' statistics, read only when a like: rule needs them.
    private async Task<CorpusStatistics?> StatisticsForAsync(IEnumerable<StoredRule> rules, CancellationToken cancellationToken) =>
        PaperCorpus.NeedsStatistics(rules.Select(rule => rule.Text)) ? await corpus.GetAsync(cancellationToken).ConfigureAwait(false) : null;

    // Per subscription, one candidate per paper a rule matches that a change in the subscription's window re-opened
    // (ChangedPapers says which changes do), with the words of every rule that matched it, earliest re-opened first.
    // A paper re-opened only by upvote changes is left out where a rule of the subscription already matched it before
    // them: only a threshold crossing sends it.
    private static ILookup<string, Candidate> Candidates(RuleIndex index, ChangedPapers changed, IReadOnlyList<DueSubscription> due)
    {
        var sinceByOwner = due.ToDictionary(subscription => subscription.Subscription.Key.PartitionKey, subscription => subscription.Since, StringComparer.Ordinal);
        var matchedBefore = new HashSet<(string Owner, string PaperId)>();
        foreach (var since in sinceByOwner.Values.Distinct())
        {
            foreach (var match in index.Match(changed.UpvotesOnlyAsOf(since)).Where(match => sinceByOwner[match.OwnerId] == since))
            {
                matchedBefore.Add((match.OwnerId, match.PaperId));
            }
        }

        var papersById = changed.Current.ToDictionary(paper => paper.Id, StringComparer.Ordinal);
        return index.Match(changed.Current)
            .Select(match => (Match: match, ReopenedAt: changed.ReopenedAt(match.PaperId, sinceByOwner[match.OwnerId])))
            .Where(entry => entry.ReopenedAt is not null && !matchedBefore.Contains((entry.Match.OwnerId, entry.Match.PaperId)))
            .GroupBy(entry => (entry.Match.OwnerId, entry.Match.PaperId))
            .Select(group => (Owner: group.Key.OwnerId, Candidate: new Candidate(new MatchedPaper(
                papersById[group.Key.PaperId],
                [.. group.SelectMany(entry => entry.Match.Words.ToArray()).Select(word => word.Text).Distinct(StringComparer.OrdinalIgnoreCase)]), group.First().ReopenedAt!.Value)))
            .OrderBy(entry => entry.Candidate.ReopenedAt)
            .ThenBy(entry => entry.Candidate.Matched.Paper.Id, StringComparer.Ordinal)
            .ToLookup(entry => entry.Owner, entry => entry.Candidate, StringComparer.Ordinal);
    }

    [LoggerMessage(EventId = 1508, Level = LogLevel.Information, Message = "Planned {Due} due subscriptions: {Rules} rules over {Papers} re-opened papers; {Planned} new papers to send; {Requests} subscriptions to send to")]
    private static partial void LogPlanned(ILogger logger, int due, int rules, int papers, int planned, int requests);

    private sealed record DueSubscription(Subscription Subscription, List<IndexedRule> Rules, DateTimeOffset Since);

    private sealed record Candidate(MatchedPaper Matched, DateTimeOffset ReopenedAt);

    private sealed record PlannedRows(
        int Rules, IReadOnlyDictionary<string, Paper> Papers, Dictionary<ConversationKey, IReadOnlyList<DeliveryRow>> Planned,
        Dictionary<ConversationKey, MarkerWrite> Markers);
}
