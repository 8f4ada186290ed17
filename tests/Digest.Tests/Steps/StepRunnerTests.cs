using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Digest.Steps;
using Digest.Steps.Runs;
using Digest.Storage;
using Digest.Telemetry;
using Digest.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Steps;

/// <summary>The one runner of every step: what it records in the <c>stepruns</c> table (on Azurite), and that recording
/// never changes what the step returns or throws.</summary>
public sealed class StepRunnerTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Morning = new(2026, 6, 12, 8, 0, 0, TimeSpan.Zero);
    private static readonly ServiceIdentity Host = new("digest-test", "machine/42");
    private readonly FakeTimeProvider _time = new(Morning);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunAsync_StepSucceeds_RecordsItsStartWhileRunningThenItsOutcomeDurationSummaryAndHost()
    {
        var store = new StepRunStore(azurite.NewStorage());
        var runner = Runner(store);
        StepRun? whileRunning = null;

        var result = await runner.RunAsync(DigestSteps.SnapshotDigests, async token =>
        {
            whileRunning = (await store.ListAsync(token))[0];
            _time.Advance(TimeSpan.FromSeconds(3));
            return 42;
        }, value => $"{value} pages", Cancel);

        result.ShouldBe(42);
        whileRunning.ShouldNotBeNull();
        whileRunning.Running.ShouldBeTrue();
        whileRunning.LastStartedAt.ShouldBe(Morning);
        whileRunning.Outcome.ShouldBeNull();
        var runs = await store.ListAsync(Cancel);
        runs.Select(run => run.Step).ShouldBe(DigestSteps.All.Select(step => step.Name));
        runs[0].ShouldBe(new StepRun(DigestSteps.SnapshotDigests, Morning, Morning.AddSeconds(3), StepOutcome.Succeeded, TimeSpan.FromSeconds(3), "42 pages", null, Host.Name, Host.Instance));
        runs[0].Running.ShouldBeFalse();
        runs.Skip(1).ShouldAllBe(run => run.Outcome == null && run.LastStartedAt == null);
    }

    [Fact]
    public async Task RunAsync_StepThrows_RecordsFailedWithTheMessageAndRethrowsTheSameException()
    {
        var store = new StepRunStore(azurite.NewStorage());
        var runner = Runner(store);
        await runner.RunAsync(DigestSteps.ParseAndDiff, _ => Task.FromResult(1), _ => "parsed", Cancel);
        var failure = new InvalidOperationException("the parser broke");

        var thrown = await Should.ThrowAsync<InvalidOperationException>(() => runner.RunAsync<int>(DigestSteps.ParseAndDiff, _ =>
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            throw failure;
        }, _ => "never", Cancel));

        thrown.ShouldBeSameAs(failure);
        var run = (await store.ListAsync(Cancel)).Single(candidate => candidate.Step == DigestSteps.ParseAndDiff);
        run.Outcome.ShouldBe(StepOutcome.Failed);
        run.Error.ShouldBe("the parser broke");
        run.Summary.ShouldBeNull();
        run.Duration.ShouldBe(TimeSpan.FromSeconds(2));
        run.LastFinishedAt.ShouldBe(Morning.AddSeconds(2));
    }

    [Fact]
    public async Task RunAsync_StorageUnreachable_TheStepRunsAndReturnsItsResult()
    {
        // No retries: storage refuses at once, so the test does not wait out the SDK's back-off.
        var unreachable = AzuriteFixture.UnreachableConnectionString();
        var storage = new DigestStorage(
            new BlobServiceClient(unreachable, new BlobClientOptions { Retry = { MaxRetries = 0 } }),
            new TableServiceClient(unreachable, new TableClientOptions { Retry = { MaxRetries = 0 } }),
            new QueueServiceClient(unreachable, new QueueClientOptions { Retry = { MaxRetries = 0 } }),
            Options.Create(new StorageOptions { ConnectionString = unreachable, NamePrefix = "unreachable" }));
        var runner = Runner(new StepRunStore(storage));
        var ran = 0;

        var result = await runner.RunAsync(DigestSteps.NotifySubscribers, _ => Task.FromResult(++ran), value => $"{value}", Cancel);
        var each = await runner.RunEachAsync(DigestSteps.DeliverToSubscription, _ => Task.FromResult("sent"), value => value, Cancel);
        await runner.FlushAsync(Cancel);

        result.ShouldBe(1);
        ran.ShouldBe(1);
        each.ShouldBe("sent");
    }

    [Fact]
    public async Task RunEachAsync_MessagesWithinTheInterval_WritesTheFirstAtOnceTheOthersOnFlushOrOnceTheIntervalHasPassed()
    {
        var store = new StepRunStore(azurite.NewStorage());
        var runner = Runner(store);
        async Task<StepRun> DeliveryAsync() => (await store.ListAsync(Cancel)).Single(run => run.Step == DigestSteps.DeliverToSubscription);

        await runner.RunEachAsync(DigestSteps.DeliverToSubscription, _ => Task.FromResult("Sent"), value => value, Cancel);
        var first = await DeliveryAsync();
        _time.Advance(TimeSpan.FromSeconds(10));
        await runner.RunEachAsync(DigestSteps.DeliverToSubscription, _ => Task.FromResult("Sent"), value => value, Cancel);
        _time.Advance(TimeSpan.FromSeconds(10));
        await Should.ThrowAsync<TimeoutException>(() => runner.RunEachAsync<string>(DigestSteps.DeliverToSubscription, _ => throw new TimeoutException("the connector did not answer"), value => value, Cancel));
        var beforeFlush = await DeliveryAsync();
        await runner.FlushAsync(Cancel);
        var flushed = await DeliveryAsync();
        _time.Advance(StepRunner.EachRecordInterval);
        await runner.RunEachAsync(DigestSteps.DeliverToSubscription, _ => Task.FromResult("Sent"), value => value, Cancel);
        var afterInterval = await DeliveryAsync();

        first.Outcome.ShouldBe(StepOutcome.Succeeded);
        first.Summary.ShouldBe("1 run since 2026-06-12 08:00:00Z: 1 succeeded, 0 failed; last: Sent");
        beforeFlush.ShouldBe(first);
        flushed.Outcome.ShouldBe(StepOutcome.Failed);
        flushed.Error.ShouldBe("the connector did not answer");
        flushed.LastStartedAt.ShouldBe(Morning.AddSeconds(20));
        flushed.Summary.ShouldBe("2 runs since 2026-06-12 08:00:10Z: 1 succeeded, 1 failed; last error: the connector did not answer");
        afterInterval.Outcome.ShouldBe(StepOutcome.Succeeded);
        afterInterval.Summary.ShouldBe("1 run since 2026-06-12 08:01:20Z: 1 succeeded, 0 failed; last: Sent");
    }

    [Fact]
    public async Task StopAsync_HostWithRunsPerMessageNotRecordedYet_WritesThemWhenItHasStopped()
    {
        var prefix = AzuriteFixture.UniqueName("r")[..13];
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:NamePrefix"] = prefix,
        });
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddDigestSteps(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync(Cancel);
        var runner = host.Services.GetRequiredService<StepRunner>();
        var store = host.Services.GetRequiredService<StepRunStore>();
        await runner.RunEachAsync(DigestSteps.DeliverToSubscription, _ => Task.FromResult("first"), value => value, Cancel);
        _time.Advance(TimeSpan.FromSeconds(5));
        await runner.RunEachAsync(DigestSteps.DeliverToSubscription, _ => Task.FromResult("second"), value => value, Cancel);
        var running = (await store.ListAsync(Cancel)).Single(run => run.Step == DigestSteps.DeliverToSubscription);

        await host.StopAsync(Cancel);

        var stopped = (await store.ListAsync(Cancel)).Single(run => run.Step == DigestSteps.DeliverToSubscription);
        running.Summary.ShouldBe("1 run since 2026-06-12 08:00:00Z: 1 succeeded, 0 failed; last: first");
        stopped.Summary.ShouldBe("1 run since 2026-06-12 08:00:05Z: 1 succeeded, 0 failed; last: second");
        stopped.Host.ShouldBe("digest");
    }

    private StepRunner Runner(StepRunStore store) => new(store, _time, NullLogger<StepRunner>.Instance, Host);
}
