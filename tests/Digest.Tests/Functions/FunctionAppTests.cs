using Azure.Storage.Queues.Models;
using Digest.Functions;
using Digest.Papers;
using Digest.Steps;
using Digest.Steps.Runs;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Functions;

/// <summary>The Function App's own host (<see cref="FunctionAppHost"/>) on Azurite, each function called as the worker would.</summary>
public sealed class FunctionAppTests(AzuriteFixture azurite)
{
    private const string Day = "2024-08-01";
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Functions_PageFromHuggingFace_GoesThroughSnapshotParsePlanQueueAndDeliverToTheConnector()
    {
        await using var huggingFace = await LoopbackHuggingFace.StartAsync(Cancel);
        await using var connector = await LoopbackConnector.StartAsync(Cancel);
        huggingFace.Respond("/papers/date/" + Day, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        var prefix = AzuriteFixture.UniqueName("f")[..13];
        using var host = Build(Settings(prefix, huggingFace.BaseAddress.ToString()));
        var services = host.Services;
        services.GetRequiredService<IStartupValidator>().Validate();
        var crawl = ActivatorUtilities.CreateInstance<CrawlFunctions>(services);
        var delivery = ActivatorUtilities.CreateInstance<DeliveryFunctions>(services);

        await crawl.SnapshotDigests(new TimerInfo(), Cancel);
        await crawl.ParseAndDiff(new TimerInfo(), Cancel);
        var papers = await services.GetRequiredService<PaperStore>().ListByDateAsync(DateOnly.Parse(Day, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(Day, System.Globalization.CultureInfo.InvariantCulture), Cancel);
        papers.ShouldNotBeEmpty();
        var (paper, word) = papers.SelectMany(paper => paper.Title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => (paper, word)))
            .First(candidate => candidate.word.Length > 5 && candidate.word.All(char.IsAsciiLetter));
        var key = await services.GetRequiredService<SubscriptionStore>().SubscribeAsync(connector, $"title:{word}", Cancel);
        await delivery.NotifySubscribers(new TimerInfo(), Cancel);

        // The plan is on the queue: one message naming the subscription, no papers.
        var queue = services.GetRequiredService<DigestStorage>().DeliveryQueue;
        queue.Name.ShouldBe(prefix + "deliveries");
        QueueMessage message = (await queue.ReceiveMessageAsync(cancellationToken: Cancel)).Value;
        message.ShouldNotBeNull();
        var body = message.Body.ToString();
        body.ShouldContain(key.ConversationId);
        body.ShouldNotContain(paper.Id);
        await delivery.DeliverToSubscription(body, Cancel);

        var sent = connector.Accepted.ShouldHaveSingleItem();
        sent.Card!.ToJsonString().ShouldContain("/papers/" + paper.Id);
        (await queue.ReceiveMessageAsync(cancellationToken: Cancel)).Value.ShouldBeNull();

        // Each function recorded its run for digest status, as this host (the first message of a process is written at once).
        var runs = await services.GetRequiredService<StepRunStore>().ListAsync(Cancel);
        runs.Select(run => run.Step).ShouldBe(DigestSteps.All.Select(step => step.Name));
        runs.ShouldAllBe(run => run.Outcome == StepOutcome.Succeeded && run.Host == "digest-functions");
    }

    [Fact]
    public async Task Health_StorageReachable_IsHealthy()
    {
        using var host = Build(Settings(AzuriteFixture.UniqueName("f")[..13], "https://huggingface.co"));

        var function = ActivatorUtilities.CreateInstance<HealthFunction>(host.Services);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(Cancel);

        function.ShouldNotBeNull();
        report.Status.ShouldBe(HealthStatus.Healthy, string.Join("; ", report.Entries.Select(entry => $"{entry.Key}: {entry.Value.Description}")));
    }

    [Theory]
    [InlineData("Storage:NamePrefix", "Not_Valid", "Storage:NamePrefix must be at most 20 lower-case letters and digits")]
    [InlineData("Storage:DeliveryQueue", "", "Storage:DeliveryQueue is not set")]
    [InlineData("Storage:DeliveryQueue", "other", "set Storage:DeliveryQueue to")]
    [InlineData("Delivery:Enabled", "false", "Delivery:Enabled is off, so NotifySubscribers and DeliverToSubscription cannot run")]
    [InlineData("DeliveryQueue:MaxDequeueCount", "0", "MaxDequeueCount")]
    public async Task StartAsync_WrongOption_StopsTheHostWithItsMessage(string setting, string value, string message)
    {
        var settings = Settings(AzuriteFixture.UniqueName("f")[..13], "https://huggingface.co");
        settings[setting] = value;
        using var host = Build(settings);

        var failure = await Should.ThrowAsync<OptionsValidationException>(() => host.StartAsync(Cancel));

        failure.Message.ShouldContain(message);
    }

    [Fact]
    public async Task StartAsync_DeliveryOffAndItsFunctionsDisabled_PassesValidation()
    {
        var settings = Settings(AzuriteFixture.UniqueName("f")[..13], "https://huggingface.co");
        settings["Delivery:Enabled"] = "false";
        settings["AzureWebJobs.NotifySubscribers.Disabled"] = "true";
        settings["AzureWebJobs.DeliverToSubscription.Disabled"] = "true";
        using var host = Build(settings);

        // Validation only: starting would start the gRPC worker, which needs a Functions host.
        Should.NotThrow(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
    }

    private static IHost Build(Dictionary<string, string?> settings) => FunctionAppHost.Build(settings);

    private Dictionary<string, string?> Settings(string prefix, string source) => FunctionAppHost.Settings(azurite.ConnectionString, prefix, source, Day);
}
