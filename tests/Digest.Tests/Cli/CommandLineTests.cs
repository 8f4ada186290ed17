using System.CommandLine;
using System.Text;
using System.Text.Json;
using Digest.Delivery;
using Digest.Cli;
using Digest.Platforms.Slack;
using Digest.Platforms.Slack.Installations;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Storage;
using Digest.Subscriptions;
using Digest.Tests.Bot.Loopback;
using Digest.Tests.Infrastructure;
using Digest.Tests.Parsing;
using Digest.Tests.Slack;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Shouldly;

namespace Digest.Tests.Cli;

/// <summary>The <c>digest</c> command line, invoked in-process against Azurite, as a script would call it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class CommandLineTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string FirstDay = "/papers/date/2024-08-01";
    private const string SecondDay = "/papers/date/2024-08-02";
    private static readonly string CorpusFolder = Path.GetDirectoryName(TestData.CorpusFiles[0])!;
    private readonly string _prefix = "c" + Guid.NewGuid().ToString("N")[..12];
    private LoopbackHuggingFace _server = null!;

    public async ValueTask InitializeAsync() => _server = await LoopbackHuggingFace.StartAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Once_CorpusFolderJson_ReportsPagesSnapshotsChangesAndTransactions()
    {
        var run = await DigestAsync("once", "--source", CorpusFolder, "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        root.GetProperty("pages").GetArrayLength().ShouldBe(5);
        root.GetProperty("pages").EnumerateArray().ShouldAllBe(page => page.GetProperty("state").GetString() == "Stored");
        root.GetProperty("snapshots").GetArrayLength().ShouldBe(5);
        root.GetProperty("snapshots").EnumerateArray().ShouldAllBe(snapshot => snapshot.GetProperty("outcome").GetString() == "Parsed");
        root.GetProperty("changes").GetProperty("new").GetInt32().ShouldBe(506);
        root.GetProperty("changes").GetProperty("updated").GetInt32().ShouldBe(1);
        var storage = root.GetProperty("storageTransactions");
        storage.GetProperty("writes").GetInt64().ShouldBeGreaterThan(0);
        storage.GetProperty("total").GetInt64().ShouldBe(storage.GetProperty("reads").GetInt64() + storage.GetProperty("writes").GetInt64());
    }

    [Fact]
    public async Task Once_SameFolderTwice_SecondRunWritesNothing()
    {
        (await DigestAsync("once", "--source", CorpusFolder, "--json")).ExitCode.ShouldBe(0);

        var second = await DigestAsync("once", "--source", CorpusFolder, "--json");

        second.ExitCode.ShouldBe(0, second.Describe());
        using var json = JsonDocument.Parse(second.Output);
        var root = json.RootElement;
        root.GetProperty("pages").EnumerateArray().ShouldAllBe(page => page.GetProperty("state").GetString() == "Unchanged");
        root.GetProperty("snapshots").GetArrayLength().ShouldBe(0);
        root.GetProperty("changes").GetProperty("new").GetInt32().ShouldBe(0);
        root.GetProperty("storageTransactions").GetProperty("writes").GetInt64().ShouldBe(0);

        // One read per page row; the new process's check that its tables exist is made before the cycle's count starts.
        root.GetProperty("storageTransactions").GetProperty("reads").GetInt64().ShouldBe(5);
    }

    [Fact]
    public async Task Once_WithoutJson_PrintsReadableSummary()
    {
        var run = await DigestAsync("once", "--source", CorpusFolder);

        run.ExitCode.ShouldBe(0, run.Describe());
        run.FlatOutput.ShouldContain("506 new, 1 updated, 0 upvote changes, 0 removed; 5 pages fetched, 5 snapshots parsed");
    }

    [Fact]
    public async Task Changes_SinceLongAgoJson_ListsEveryChangeWithItsFields()
    {
        (await DigestAsync("once", "--source", CorpusFolder)).ExitCode.ShouldBe(0);

        var run = await DigestAsync("changes", "--since", "2000-01-01", "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        var changes = json.RootElement.EnumerateArray().ToList();
        changes.Count.ShouldBe(507);
        changes.Count(change => change.GetProperty("kind").GetString() == "New").ShouldBe(506);
        var updated = changes.Where(change => change.GetProperty("kind").GetString() == "Updated").ShouldHaveSingleItem();
        updated.GetProperty("fields").GetString().ShouldBe("abstract");
        changes.ShouldAllBe(change =>
            change.GetProperty("paperId").GetString()!.Length > 0 &&
            change.GetProperty("title").GetString()!.Length > 0 &&
            change.GetProperty("detectedAt").GetDateTimeOffset() > new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Changes_SinceAfterTheRun_ListsNothing()
    {
        (await DigestAsync("once", "--source", CorpusFolder)).ExitCode.ShouldBe(0);

        var run = await DigestAsync("changes", "--since", "2999-01-01T00:00:00Z", "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Papers_DateOfStoredCorpusPapersJson_HasTheDocumentedFields()
    {
        (await DigestAsync("once", "--source", CorpusFolder)).ExitCode.ShouldBe(0);
        var changes = await DigestAsync("changes", "--since", "2000-01-01", "--json");
        using var changesJson = JsonDocument.Parse(changes.Output);
        var date = changesJson.RootElement.EnumerateArray().Select(change => change.GetProperty("date").GetString()).First(value => value is not null)!;

        var run = await DigestAsync("papers", "--date", date, "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        var papers = json.RootElement.EnumerateArray().ToList();
        papers.ShouldNotBeEmpty();
        foreach (var paper in papers)
        {
            paper.GetProperty("id").GetString().ShouldNotBeNullOrWhiteSpace();
            paper.GetProperty("title").GetString().ShouldNotBeNullOrWhiteSpace();
            paper.GetProperty("abstract").ValueKind.ShouldBe(JsonValueKind.String);
            paper.GetProperty("authors").ValueKind.ShouldBe(JsonValueKind.Array);
            paper.GetProperty("authors").EnumerateArray().ShouldAllBe(author => author.ValueKind == JsonValueKind.String);
            paper.GetProperty("upvotes").ValueKind.ShouldBe(JsonValueKind.Number);
            paper.GetProperty("date").GetString().ShouldBe(date);
        }

        date.ShouldMatch(@"^\d{4}-\d{2}-\d{2}$");
    }

    [Fact]
    public async Task Backfill_TwoDaysFromLoopbackServer_StoresBothDaysAndPapersMatchThePage()
    {
        var page = File.ReadAllText(TestData.HfPapers("list_2024-08-01_slbqc.html"));
        _server.Respond(FirstDay, Answers.Page(Encoding.UTF8.GetBytes(page)));
        _server.Respond(SecondDay, Answers.Page(Encoding.UTF8.GetBytes(NextDay(page))));

        var run = await DigestAsync("backfill", "--from", "2024-08-01", "--to", "2024-08-02", "--source", _server.BaseAddress.ToString(), "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        _server.CountRequests(FirstDay).ShouldBe(1);
        _server.CountRequests(SecondDay).ShouldBe(1);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        root.GetProperty("pages").EnumerateArray().Select(page => page.GetProperty("key").GetString())
            .ShouldBe(["daily-2024-08-01", "daily-2024-08-02"], ignoreOrder: true);
        root.GetProperty("snapshots").EnumerateArray().ShouldAllBe(snapshot => snapshot.GetProperty("outcome").GetString() == "Parsed");
        root.GetProperty("changes").GetProperty("new").GetInt32().ShouldBe(26);

        var papers = await DigestAsync("papers", "--date", "2024-08-01", "--json");

        papers.ExitCode.ShouldBe(0, papers.Describe());
        using var actual = JsonDocument.Parse(papers.Output);
        var stored = actual.RootElement.EnumerateArray().ToDictionary(paper => paper.GetProperty("id").GetString()!, StringComparer.Ordinal);
        var expected = ParsingTestData.ReadExpected(TestData.HfPapers("list_2024-08-01_slbqc.dataprops.json"));
        stored.Keys.ShouldBe(expected.Select(paper => paper.Id), ignoreOrder: true);
        foreach (var paper in expected)
        {
            var row = stored[paper.Id];
            row.GetProperty("title").GetString().ShouldBe(paper.Title);
            row.GetProperty("authors").EnumerateArray().Select(author => author.GetString()).ShouldBe(paper.Authors);
            row.GetProperty("upvotes").GetInt32().ShouldBe(paper.Upvotes);
            row.GetProperty("date").GetString().ShouldBe("2024-08-01");
        }

        var second = await DigestAsync("papers", "--date", "2024-08-02", "--json");
        using var secondJson = JsonDocument.Parse(second.Output);
        secondJson.RootElement.EnumerateArray().Select(paper => paper.GetProperty("id").GetString())
            .ShouldBe(expected.Select(paper => paper.Id.Replace("2407.", "2408.", StringComparison.Ordinal).Replace("2404.", "2408.", StringComparison.Ordinal)), ignoreOrder: true);
    }

    [Fact]
    public async Task Backfill_WithoutJson_ShowsProgressAndSummary()
    {
        var page = File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"));
        _server.Respond(FirstDay, Answers.Page(page));

        var run = await DigestAsync("backfill", "--from", "2024-08-01", "--to", "2024-08-01", "--source", _server.BaseAddress.ToString());

        run.ExitCode.ShouldBe(0, run.Describe());
        run.FlatOutput.ShouldContain("13 new, 0 updated, 0 upvote changes, 0 removed; 1 pages fetched, 1 snapshots parsed");
        _server.CountRequests(FirstDay).ShouldBe(1);
    }

    [Fact]
    public async Task Reparse_AfterOnce_ParsesEverySnapshotAgainAndAddsNoChangeRows()
    {
        (await DigestAsync("once", "--source", CorpusFolder)).ExitCode.ShouldBe(0);

        var run = await DigestAsync("reparse", "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        root.GetProperty("pages").GetArrayLength().ShouldBe(0);
        root.GetProperty("snapshots").GetArrayLength().ShouldBe(5);
        root.GetProperty("snapshots").EnumerateArray().ShouldAllBe(snapshot =>
            snapshot.GetProperty("outcome").GetString() == "Parsed" && snapshot.GetProperty("paperCount").GetInt32() > 0);
        root.GetProperty("snapshots").EnumerateArray().Sum(snapshot => snapshot.GetProperty("paperCount").GetInt32()).ShouldBe(579);
        var changes = await DigestAsync("changes", "--since", "2000-01-01", "--json");
        using var changesJson = JsonDocument.Parse(changes.Output);
        changesJson.RootElement.GetArrayLength().ShouldBe(507);
    }

    [Theory]
    [InlineData("papers", "--date", "2024-13-01", "--date \"2024-13-01\" is not a date like 2026-03-13.")]
    [InlineData("papers", "--date", "yesterday", "--date \"yesterday\" is not a date like 2026-03-13.")]
    [InlineData("changes", "--since", "last week", "--since \"last week\" is not a time like 2026-03-13T08:00:00Z or a date like 2026-03-13.")]
    [InlineData("once", "--dates", "2024-08-32", "--dates \"2024-08-32\" is not a date like 2026-03-13.")]
    public async Task Command_BadDate_ExitCode2WithMessage(string command, string option, string value, string message)
    {
        var run = await DigestAsync(command, option, value);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.FlatOutput.ShouldContain("error: " + message);
    }

    [Theory]
    [InlineData("2024-08-1", "2024-08-02", "--from \"2024-08-1\" is not a date like 2026-03-13.")]
    [InlineData("2024-08-01", "tomorrow", "--to \"tomorrow\" is not a date like 2026-03-13.")]
    [InlineData("2024-08-02", "2024-08-01", "--to (2024-08-01) is before --from (2024-08-02).")]
    public async Task Backfill_BadRange_ExitCode2WithMessage(string from, string to, string message)
    {
        var run = await DigestAsync("backfill", "--from", from, "--to", to, "--source", CorpusFolder);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.FlatOutput.ShouldContain("error: " + message);
        _server.Requests.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("once")]
    [InlineData("run")]
    public async Task Command_SourceFolderMissing_ExitCode2NamingTheFolder(string command)
    {
        var missing = Path.Combine(Path.GetTempPath(), "digest-no-such-folder-" + Guid.NewGuid().ToString("N"));

        var run = await DigestAsync(command, "--source", missing);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.FlatOutput.ShouldContain("Configuration is not valid:");
        run.FlatOutput.ShouldContain($"Sources:Source \"{missing}\" is neither an http(s) URL nor an existing folder of saved pages.");
    }

    [Theory]
    [InlineData("Storage:ConnectionString", "", "Storage:ConnectionString is empty.")]
    [InlineData("Storage:NamePrefix", "Not-Valid", "Storage:NamePrefix must be at most 20 lower-case letters and digits, starting with a letter.")]
    [InlineData("Sources:LookBackDays", "40", "Sources:LookBackDays must be between 0 and 31.")]
    public async Task Once_BadSetting_ExitCode2WithMessage(string key, string value, string message)
    {
        var run = await DigestAsync(new Dictionary<string, string?>(StringComparer.Ordinal) { [key] = value }, "once", "--source", CorpusFolder);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.FlatOutput.ShouldContain("Configuration is not valid:");
        run.FlatOutput.ShouldContain(message);
    }

    [Theory]
    [InlineData("Slack:ClientId", "1234567890.1234567890", "Slack:SigningSecret is required when any other Slack setting is set")]
    [InlineData("Slack:SigningSecret", "8f742231b10e8888abcd99yyyzzz85a5", "Slack is enabled but has no way to send")]
    [InlineData("Slack:TokenEncryptionKey", "c2hvcnQ=", "Slack:SigningSecret is required")]
    public async Task Once_DeliveryEnabledWithABadSlackSetting_ExitCode2WithMessage(string key, string value, string message)
    {
        var run = await DigestAsync(new Dictionary<string, string?>(StringComparer.Ordinal) { ["Delivery:Enabled"] = "true", [key] = value }, "once", "--source", CorpusFolder);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.FlatOutput.ShouldContain("Configuration is not valid:");
        run.FlatOutput.ShouldContain(message);
    }

    [Theory]
    [InlineData("papers", "--date", "2024-08-01")]
    [InlineData("once", "--source", "corpus")]
    public async Task Command_StorageRefusesConnections_ExitCode3InAtMostThreeLinesWithoutStackTrace(string command, string option, string value)
    {
        var run = await DigestAsync(
            new Dictionary<string, string?>(StringComparer.Ordinal) { ["Storage:ConnectionString"] = ClosedLoopbackPort.StorageConnectionString() },
            command, option, value == "corpus" ? CorpusFolder : value);

        run.ExitCode.ShouldBe(3, run.Describe());
        run.FlatOutput.ShouldContain("error: storage is not reachable");
        run.AllLines.Count.ShouldBeLessThanOrEqualTo(3, run.Describe());
        run.ShouldHaveNoStackTrace();
    }

    [Fact]
    public async Task Papers_StorageRefusesConnectionsVerbose_LogsTheExceptionToStandardError()
    {
        var run = await DigestAsync(
            new Dictionary<string, string?>(StringComparer.Ordinal) { ["Storage:ConnectionString"] = ClosedLoopbackPort.StorageConnectionString() },
            "papers", "--date", "2024-08-01", "-v");

        run.ExitCode.ShouldBe(3, run.Describe());
        run.Output.ShouldNotContain("   at ");
        run.Error.ShouldContain("Connection refused");
        run.Error.ShouldContain("   at ");
    }

    [Fact]
    public async Task Once_ConnectionStringNotAConnectionString_ExitCode2SayingWhatToFixWithoutEchoingIt()
    {
        const string Garbage = "not-a-connection-string-7f3a";

        var run = await DigestAsync(
            new Dictionary<string, string?>(StringComparer.Ordinal) { ["Storage:ConnectionString"] = Garbage },
            "once", "--source", CorpusFolder);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.FlatOutput.ShouldContain("Configuration is not valid:");
        run.FlatOutput.ShouldContain("Storage:ConnectionString is not a valid connection string");
        run.AllLines.Count.ShouldBeLessThanOrEqualTo(3, run.Describe());
        run.ShouldHaveNoStackTrace();
        (run.Output + run.Error).ShouldNotContain(Garbage);
    }

    [Theory]
    [InlineData("Option '--date' is required.", "papers")]
    [InlineData("Unrecognized command or argument 'bogus'.", "bogus")]
    [InlineData("Unrecognized command or argument 'help'.", "help")]
    [InlineData("Unrecognized command or argument '--source'.", "papers", "--date", "2024-08-01", "--source", "https://huggingface.co")]
    [InlineData("Unrecognized command or argument '--dates'.", "changes", "--since", "2024-08-01", "--dates", "2024-08-01")]
    public async Task Command_BadArguments_ExitCode2WithTheErrorAndNotTheWholeHelp(string message, params string[] args)
    {
        var run = await DigestAsync(args);

        run.ExitCode.ShouldBe(2, run.Describe());
        run.Error.ShouldContain(message);
        run.Error.ShouldContain("--help");
        (run.Output + run.Error).ShouldNotContain("Usage:");
        run.AllLines.Count.ShouldBeLessThanOrEqualTo(3, run.Describe());
    }

    [Theory]
    [InlineData("papers", "--date", "2024-08-01")]
    [InlineData("changes", "--since", "2024-08-01")]
    public async Task Command_StorageNeverWrittenJson_ExitCode0WithEmptyList(string command, string option, string value)
    {
        var run = await DigestAsync(command, option, value, "--json");

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Help_Root_SaysRunRunsEveryStep()
    {
        var run = await DigestAsync("--help");

        run.ExitCode.ShouldBe(0, run.Describe());
        run.FlatOutput.ShouldContain("SnapshotDigests, ParseAndDiff, and (when Delivery:Enabled is on) NotifySubscribers and DeliverToSubscription");
    }

    [Theory]
    [InlineData("papers")]
    [InlineData("changes")]
    public async Task Help_CommandThatReadsStorageOnly_OffersNeitherSourceNorDates(string command)
    {
        var run = await DigestAsync(command, "--help");

        run.ExitCode.ShouldBe(0, run.Describe());
        run.Output.ShouldNotContain("--source");
        run.Output.ShouldNotContain("--dates");
        run.Output.ShouldContain("--verbose");
    }

    [Fact]
    public async Task Once_NoPageCanBeFetched_ExitCode4AndSaysNoneFetched()
    {
        var offline = $"http://127.0.0.1:{ClosedLoopbackPort.Next()}";

        var run = await DigestAsync("once", "--source", offline, "--dates", "2024-08-01,2024-08-02");

        run.ExitCode.ShouldBe(4, run.Describe());
        run.FlatOutput.ShouldContain("0 pages fetched, 2 failed");
    }

    [Fact]
    public async Task Once_NoPageCanBeFetchedJson_ExitCode4WithTheReport()
    {
        var offline = $"http://127.0.0.1:{ClosedLoopbackPort.Next()}";

        var run = await DigestAsync("once", "--source", offline, "--dates", "2024-08-01", "--json");

        run.ExitCode.ShouldBe(4, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        json.RootElement.GetProperty("pages").EnumerateArray().ShouldAllBe(page => page.GetProperty("state").GetString() == "Failed");
    }

    [Fact]
    public async Task Once_OneOfTwoPagesFails_ExitCode0AndCountsBoth()
    {
        _server.Respond(FirstDay, Answers.Page(File.ReadAllBytes(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
        _server.Respond(SecondDay, Answers.Status(404));

        var run = await DigestAsync("once", "--source", _server.BaseAddress.ToString(), "--dates", "2024-08-01,2024-08-02");

        run.ExitCode.ShouldBe(0, run.Describe());
        run.FlatOutput.ShouldContain("1 pages fetched, 1 failed");
    }

    [Fact]
    public async Task Backfill_FolderOfSavedPages_StoresOnlyPagesDatedInTheRangeAndSaysWhatItLeftOut()
    {
        var folder = Directory.CreateTempSubdirectory("digest-backfill-").FullName;
        try
        {
            File.Copy(TestData.HfPapers("list_2024-08-01_slbqc.html"), Path.Combine(folder, "list_2024-08-01_slbqc.html"));
            File.WriteAllText(Path.Combine(folder, "list_2024-08-02.html"), NextDay(File.ReadAllText(TestData.HfPapers("list_2024-08-01_slbqc.html"))));
            File.Copy(TestData.CorpusFiles[0], Path.Combine(folder, Path.GetFileName(TestData.CorpusFiles[0])));

            var run = await DigestAsync("backfill", "--from", "2024-08-01", "--to", "2024-08-01", "--source", folder, "--json");

            run.ExitCode.ShouldBe(0, run.Describe());
            using var json = JsonDocument.Parse(run.Output);
            json.RootElement.GetProperty("pages").EnumerateArray().Select(page => page.GetProperty("key").GetString())
                .ShouldBe(["file-list_2024-08-01_slbqc.html"]);
            ConsoleCapture.Flatten(run.Error).ShouldContain("2 saved pages left out: their file names have no date from 2024-08-01 to 2024-08-01.");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Once_OutputNotATerminal_TablesKeepSnapshotIdsWhole()
    {
        var run = await DigestAsync("once", "--source", CorpusFolder);
        run.ExitCode.ShouldBe(0, run.Describe());

        var reparse = await DigestAsync("reparse", "--json");

        using var json = JsonDocument.Parse(reparse.Output);
        var ids = json.RootElement.GetProperty("snapshots").EnumerateArray().Select(snapshot => snapshot.GetProperty("snapshotId").GetString()!).ToList();
        ids.Count.ShouldBe(5);
        foreach (var id in ids)
        {
            run.Output.ShouldContain(id, customMessage: run.Describe());
        }
    }

    /// <summary>The 2024 page as a second day would show it: its own date and other papers (arXiv ids moved on by a month).</summary>
    private static string NextDay(string page) => page
        .Replace("&quot;date&quot;:&quot;2024-08-01T00:00:00.000Z", "&quot;date&quot;:&quot;2024-08-02T00:00:00.000Z", StringComparison.Ordinal)
        .Replace("2407.", "2408.", StringComparison.Ordinal)
        .Replace("2404.01300", "2408.01300", StringComparison.Ordinal);

    /// <summary>A Development-mode Teams conversation on the loopback connector, subscribed with one rule.</summary>
    private async Task<string> SubscribeLoopbackConversationAsync(LoopbackConnector connector, string rule, CancellationToken cancellationToken)
    {
        var store = new SubscriptionStore(Storage(), Options.Create(new SubscriptionStoreOptions()), TimeProvider.System);
        return (await store.SubscribeAsync(connector, rule, cancellationToken)).ConversationId;
    }

    [Fact]
    public async Task Once_DeliveryEnabledWithoutBotIdentity_SendsMatchedPapersToALoopbackConversationOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connector = await LoopbackConnector.StartAsync(ct);
        var conversation = await SubscribeLoopbackConversationAsync(connector, "diffusion", ct);
        var enabled = new Dictionary<string, string?>(StringComparer.Ordinal) { ["Delivery:Enabled"] = "true" };

        var first = await DigestAsync(enabled, "once", "--source", CorpusFolder, "--json");
        var second = await DigestAsync(enabled, "once", "--source", CorpusFolder, "--json");

        first.ExitCode.ShouldBe(0, first.Describe());
        using var json = JsonDocument.Parse(first.Output);
        var deliveries = json.RootElement.GetProperty("deliveries");
        var papersSent = deliveries.GetProperty("papersSent").GetInt32();
        papersSent.ShouldBeGreaterThan(0);
        // Every paper a card shows is one Container; corpus papers without an arXiv id share a link, so titles tell them apart.
        var sent = connector.Accepted.SelectMany(request => request.Card!["body"]!.AsArray().Where(item => (string?)item!["type"] == "Container")
            .Select(item => (string)item!["items"]![0]!["text"]!)).ToList();
        sent.Count.ShouldBe(papersSent);
        sent.ShouldBeUnique();
        connector.Accepted.ShouldAllBe(request => request.Authorization == null, "no bot identity: no token");
        second.ExitCode.ShouldBe(0, second.Describe());
        using var again = JsonDocument.Parse(second.Output);
        again.RootElement.GetProperty("deliveries").GetProperty("papersSent").GetInt32().ShouldBe(0);
        connector.Accepted.Count.ShouldBe(deliveries.GetProperty("messagesSent").GetInt32());
    }

    [Fact]
    public async Task Once_DeliveryFailsMaxDequeueCountTimes_PoisonsItAndDeliveriesFailedListsAndRequeuesIt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connector = await LoopbackConnector.StartAsync(ct);
        var conversation = await SubscribeLoopbackConversationAsync(connector, "diffusion", ct);
        connector.Script(conversation, ConnectorAnswer.Fail(500), ConnectorAnswer.Fail(500), ConnectorAnswer.Fail(500));
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Delivery:Enabled"] = "true",
            ["Delivery:PendingLease"] = "00:00:00",
            ["DeliveryQueue:MaxDequeueCount"] = "3",
            ["DeliveryQueue:VisibilityTimeout"] = "00:00:00",
        };

        var failing = await DigestAsync(settings, "once", "--source", CorpusFolder, "--json");
        var acceptedWhileFailing = connector.Accepted.Count;
        var failed = await DigestAsync("deliveries", "--failed", "--json");
        var retried = await DigestAsync("deliveries", "--retry");
        var sending = await DigestAsync(settings, "once", "--source", CorpusFolder, "--json");
        var after = await DigestAsync("deliveries", "--failed", "--json");

        failing.ExitCode.ShouldBe(0, failing.Describe());
        using (var json = JsonDocument.Parse(failing.Output))
        {
            json.RootElement.GetProperty("deliveries").GetProperty("failed").GetInt32().ShouldBe(1);
        }

        acceptedWhileFailing.ShouldBe(0, failing.Describe());
        failed.ExitCode.ShouldBe(0, failed.Describe());
        using (var json = JsonDocument.Parse(failed.Output))
        {
            var poisoned = json.RootElement.EnumerateArray().ShouldHaveSingleItem();
            poisoned.GetProperty("state").GetString().ShouldBe("Poisoned");
            poisoned.GetProperty("conversation").GetString().ShouldBe(conversation);
        }

        retried.ExitCode.ShouldBe(0, retried.Describe());
        retried.FlatOutput.ShouldContain("1 poisoned delivery messages are queued again");
        sending.ExitCode.ShouldBe(0, sending.Describe());
        using (var json = JsonDocument.Parse(sending.Output))
        {
            var papersSent = json.RootElement.GetProperty("deliveries").GetProperty("papersSent").GetInt32();
            papersSent.ShouldBeGreaterThan(0);
            var sent = connector.Accepted.SelectMany(request => request.Card!["body"]!.AsArray().Where(item => (string?)item!["type"] == "Container")
                .Select(item => (string)item!["items"]![0]!["text"]!)).ToList();
            sent.Count.ShouldBe(papersSent);
            sent.ShouldBeUnique();
        }

        using (var json = JsonDocument.Parse(after.Output))
        {
            json.RootElement.GetArrayLength().ShouldBe(0);
        }
    }

    [Fact]
    public async Task Once_DeliveryEnabledWithASlackInstallation_SendsMatchedPapersAsBlockKitOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var slack = await LoopbackSlack.StartAsync(ct);
        var settings = SlackTestServices.OAuthSettings(("Slack:ApiBaseUrl", slack.ApiBaseUrl.AbsoluteUri), ("Storage:ConnectionString", azurite.ConnectionString), ("Storage:NamePrefix", _prefix));
        await using (var installer = SlackTestServices.Create(settings))
        {
            var access = await installer.GetRequiredService<SlackWebApiClient>().ExchangeCodeAsync("alpha", null, ct);
            await installer.GetRequiredService<SlackInstallationStore>().SaveAsync(access, ct);
        }

        var conversation = new SlackConversation("TALPHA", null, "C0DIGEST");
        var store = new SubscriptionStore(Storage(), Options.Create(new SubscriptionStoreOptions()), TimeProvider.System);
        var key = SlackAddress.Key(conversation);
        await store.RecordContactAsync(key, SlackAddress.From(conversation), ct);
        await store.UpdateAsync(key, null, current => current with { Subscribed = true }, ct);
        await store.AddRuleAsync(key, "diffusion", ct);
        var enabled = new Dictionary<string, string?>(settings, StringComparer.Ordinal) { ["Delivery:Enabled"] = "true" };

        var first = await DigestAsync(enabled, "once", "--source", CorpusFolder, "--json");
        var second = await DigestAsync(enabled, "once", "--source", CorpusFolder, "--json");

        first.ExitCode.ShouldBe(0, first.Describe());
        using var json = JsonDocument.Parse(first.Output);
        var deliveries = json.RootElement.GetProperty("deliveries");
        var papersSent = deliveries.GetProperty("papersSent").GetInt32();
        papersSent.ShouldBeGreaterThan(0);
        var posts = slack.All.Where(request => request.Path == "/api/chat.postMessage").ToList();
        posts.Count.ShouldBe(deliveries.GetProperty("messagesSent").GetInt32());
        posts.ShouldAllBe(post => post.Authorization == "Bearer xoxb-alpha" && (string?)post.Json["channel"] == "C0DIGEST");
        posts.Sum(post => post.Json["blocks"]!.AsArray().Count(block => (string?)block!["type"] == "section")).ShouldBe(papersSent);
        second.ExitCode.ShouldBe(0, second.Describe());
        using var again = JsonDocument.Parse(second.Output);
        again.RootElement.GetProperty("deliveries").GetProperty("papersSent").GetInt32().ShouldBe(0);
        slack.Count("chat.postMessage").ShouldBe(posts.Count);
    }

    [Fact]
    public async Task Deliveries_FailedThenRetry_ListsTheDeadLettersAndQueuesThemAgain()
    {
        var ct = TestContext.Current.CancellationToken;
        var storage = Storage();
        var key = ConversationKey.Create("msteams", "tenant-local", "a:" + Guid.NewGuid().ToString("N"));
        var store = new SubscriptionStore(storage, Options.Create(new SubscriptionStoreOptions()), TimeProvider.System);
        await store.RecordContactAsync(key, TeamsAddress.From(new ConversationReference
        {
            ChannelId = "msteams",
            ServiceUrl = "http://127.0.0.1:9",
            Conversation = new ConversationAccount { Id = key.ConversationId, ConversationType = "personal" },
        }), ct);
        var outbox = new DeliveryOutbox(storage);
        var row = (await outbox.TryPlanAsync(key, "2401.00001", ["agents"], TimeProvider.System.GetUtcNow(), ct))!;
        await outbox.RecordFailedAttemptAsync([row], "503 ServiceUnavailable", maxAttempts: 1, TimeProvider.System.GetUtcNow(), ct);
        await outbox.TryPlanAsync(key, "2401.00002", ["agents"], TimeProvider.System.GetUtcNow(), ct);

        var failed = await DigestAsync("deliveries", "--failed", "--json");
        var retried = await DigestAsync("deliveries", "--retry");
        var all = await DigestAsync("deliveries", "--json");

        failed.ExitCode.ShouldBe(0, failed.Describe());
        using var failedJson = JsonDocument.Parse(failed.Output);
        var dead = failedJson.RootElement.EnumerateArray().ShouldHaveSingleItem();
        dead.GetProperty("paperId").GetString().ShouldBe("2401.00001");
        dead.GetProperty("state").GetString().ShouldBe(DeliveryState.Failed);
        dead.GetProperty("conversation").GetString().ShouldBe(key.ConversationId);
        dead.GetProperty("lastError").GetString()!.ShouldContain("503 ServiceUnavailable");
        retried.ExitCode.ShouldBe(0, retried.Describe());
        retried.FlatOutput.ShouldContain("1 failed deliveries are Pending again");
        using var allJson = JsonDocument.Parse(all.Output);
        allJson.RootElement.EnumerateArray().ShouldAllBe(entry => entry.GetProperty("state").GetString() == DeliveryState.Pending);
        (await new PendingDeliveries(storage).ListAsync(ct)).ShouldContain(request => request.Key == key);
    }

    [Fact]
    public async Task Status_AfterOnceWithDelivery_ShowsEveryStepsLastRunThePagesTheNotifiersLastRunAndTheBacklog()
    {
        var empty = await DigestAsync("status", "--json");
        var ct = TestContext.Current.CancellationToken;
        await using var connector = await LoopbackConnector.StartAsync(ct);
        await SubscribeLoopbackConversationAsync(connector, "diffusion", ct);
        (await DigestAsync(new Dictionary<string, string?>(StringComparer.Ordinal) { ["Delivery:Enabled"] = "true" }, "once", "--source", CorpusFolder)).ExitCode.ShouldBe(0);

        var run = await DigestAsync("status", "--json");
        var readable = await DigestAsync("status");

        empty.ExitCode.ShouldBe(0, empty.Describe());
        using (var none = JsonDocument.Parse(empty.Output))
        {
            none.RootElement.GetProperty("pages").GetArrayLength().ShouldBe(0);
            none.RootElement.TryGetProperty("lastNotifiedAt", out _).ShouldBeFalse();
            var never = none.RootElement.GetProperty("steps").EnumerateArray().ToList();
            never.Select(step => step.GetProperty("step").GetString()).ShouldBe(["SnapshotDigests", "ParseAndDiff", "NotifySubscribers", "DeliverToSubscription"]);
            foreach (var step in never)
            {
                step.TryGetProperty("outcome", out _).ShouldBeFalse();
                step.TryGetProperty("lastFinishedAt", out _).ShouldBeFalse();
            }
        }

        run.ExitCode.ShouldBe(0, run.Describe());
        using var json = JsonDocument.Parse(run.Output);
        var steps = json.RootElement.GetProperty("steps").EnumerateArray().ToDictionary(step => step.GetProperty("step").GetString()!);
        steps.Keys.ShouldBe(["SnapshotDigests", "ParseAndDiff", "NotifySubscribers", "DeliverToSubscription"]);
        foreach (var step in steps.Values)
        {
            step.GetProperty("outcome").GetString().ShouldBe("Succeeded");
            step.GetProperty("host").GetString().ShouldBe("digest-cli");
            step.GetProperty("running").GetBoolean().ShouldBeFalse();
            step.TryGetProperty("lastStartedAt", out _).ShouldBeTrue();
            step.TryGetProperty("duration", out _).ShouldBeTrue();
            step.TryGetProperty("error", out _).ShouldBeFalse();
        }

        steps["SnapshotDigests"].GetProperty("summary").GetString().ShouldBe("5 pages: 5 stored, 0 unchanged, 0 failed");
        steps["ParseAndDiff"].GetProperty("summary").GetString()!.ShouldStartWith("5 snapshots: 5 parsed, 0 failed; papers 506 new");
        steps["NotifySubscribers"].GetProperty("summary").GetString()!.ShouldContain("1 deliveries queued");
        steps["DeliverToSubscription"].GetProperty("summary").GetString()!.ShouldStartWith("1 run since ");
        steps["DeliverToSubscription"].GetProperty("summary").GetString()!.ShouldContain("1 succeeded, 0 failed; last: Sent: ");
        var pages = json.RootElement.GetProperty("pages").EnumerateArray().ToList();
        pages.Count.ShouldBe(5);
        foreach (var page in pages)
        {
            page.TryGetProperty("lastFetchedAt", out _).ShouldBeTrue();
            page.GetProperty("parsePending").GetBoolean().ShouldBeFalse();
            page.TryGetProperty("lastError", out _).ShouldBeFalse();
        }

        json.RootElement.TryGetProperty("lastNotifiedAt", out _).ShouldBeTrue();
        json.RootElement.GetProperty("pending").GetInt32().ShouldBe(0);
        json.RootElement.GetProperty("failed").GetInt32().ShouldBe(0);
        json.RootElement.GetProperty("sent").GetInt32().ShouldBeGreaterThan(0);
        readable.ExitCode.ShouldBe(0, readable.Describe());
        readable.FlatOutput.ShouldContain("DeliverToSubscription");
        readable.FlatOutput.ShouldContain("succeeded");
        readable.FlatOutput.ShouldContain("5 pages: 5 stored, 0 unchanged, 0 failed");
    }

    private DigestStorage Storage() =>
        new(azurite.BlobService, azurite.TableService, azurite.QueueService, Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, NamePrefix = _prefix }));

    private Task<DigestRun> DigestAsync(params string[] args) => DigestAsync(new Dictionary<string, string?>(StringComparer.Ordinal), args);

    private async Task<DigestRun> DigestAsync(Dictionary<string, string?> settings, params string[] args)
    {
        var all = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:NamePrefix"] = _prefix,
            ["Sources:RetryBaseDelay"] = "00:00:00.010",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        using var console = new ConsoleCapture();
        var exitCode = await DigestCommandLine.InvokeAsync(
            args, all, new InvocationConfiguration { Output = console.Out, Error = console.Error }, TestContext.Current.CancellationToken);
        return new DigestRun(exitCode, console.Output, console.ErrorOutput);
    }

    private sealed record DigestRun(int ExitCode, string Output, string Error)
    {
        public string FlatOutput => ConsoleCapture.Flatten(Output);

        /// <summary>The lines a person sees, standard output and standard error together, blank ones left out.</summary>
        public IReadOnlyList<string> AllLines =>
            [.. (Output + Environment.NewLine + Error).Split('\n').Select(line => line.TrimEnd()).Where(line => line.Length > 0)];

        public void ShouldHaveNoStackTrace()
        {
            (Output + Error).ShouldNotContain("   at ", customMessage: Describe());
            (Output + Error).ShouldNotContain("Unhandled exception", customMessage: Describe());
        }

        public string Describe() => $"exit code {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
    }
}
