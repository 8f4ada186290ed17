using Azure.Data.Tables;
using Digest.Platforms.Slack;
using Digest.Platforms.Slack.Installations;
using Digest.Storage;
using Digest.Tests.Infrastructure;
using Digest.Tests.Slack.Loopback;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Shouldly;

namespace Digest.Tests.Slack;

/// <summary>Installations on Azurite, codes exchanged at a loopback <c>oauth.v2.access</c>: tokens encrypted at rest,
/// refreshed before they expire by one process at a time, revoked on uninstall.</summary>
public sealed class SlackInstallationStoreTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 8, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly string _prefix = AzuriteFixture.UniqueName("k")[..13];
    private readonly string _key = SlackTestServices.NewKey();
    private readonly List<ServiceProvider> _processes = [];
    private LoopbackSlack _slack = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _slack = await LoopbackSlack.StartAsync(Cancel);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await _slack.DisposeAsync();
    }

    [Fact]
    public async Task SaveAsync_TwoWorkspaces_EachGetsItsOwnTokenAndNoTokenIsReadableInTheTable()
    {
        var store = Process();

        await InstallAsync(store, "alpha");
        await InstallAsync(store, "beta");

        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxb-alpha");
        (await store.GetAsync("TBETA", null, Cancel)).ShouldBe("xoxb-beta");
        (await store.GetAsync("TGAMMA", null, Cancel)).ShouldBeNull();
        var rows = await RawRowsAsync();
        rows.Select(row => row.PartitionKey).Order().ShouldBe(["team-TALPHA", "team-TBETA"]);
        var everyValue = string.Join("\n", rows.SelectMany(row => row.Select(property => property.Value)).Select(value => value?.ToString()));
        everyValue.ShouldNotContain("xoxb-");
        everyValue.ShouldNotContain("xoxe");
        rows.ShouldAllBe(row => row.GetString("BotTokenSealed").StartsWith("v1.") && row.GetString("RefreshTokenSealed").StartsWith("v1."));
        var alpha = (await store.FindAsync("TALPHA", null, Cancel))!;
        alpha.ShouldBe(new SlackInstallation("TALPHA", "TALPHA", "Team TALPHA", null, null, false, "A0APP", "U0BOT", "commands,chat:write", "U0INSTALLER",
            Now, Now.AddSeconds(43200), false, null));
    }

    [Fact]
    public async Task GetAsync_SealedTokenCopiedIntoAnotherWorkspacesRow_DoesNotDecrypt()
    {
        var store = Process();
        await InstallAsync(store, "alpha");
        await InstallAsync(store, "beta");
        var table = Table();
        var alpha = (await table.GetEntityAsync<TableEntity>("team-TALPHA", "installation", cancellationToken: Cancel)).Value;
        var beta = (await table.GetEntityAsync<TableEntity>("team-TBETA", "installation", cancellationToken: Cancel)).Value;

        beta["BotTokenSealed"] = alpha["BotTokenSealed"];
        await table.UpdateEntityAsync(beta, beta.ETag, TableUpdateMode.Replace, Cancel);

        var refused = await Should.ThrowAsync<SlackApiException>(async () => await store.GetAsync("TBETA", null, Cancel));
        refused.Kind.ShouldBe(SlackErrorKind.Unauthorized);
        refused.Error.ShouldBe("stored_token_unreadable");
    }

    [Fact]
    public async Task GetAsync_EnterpriseOrgWideInstall_ServesEveryWorkspaceOfTheOrgOnly()
    {
        var store = Process();

        await InstallAsync(store, "grid-org");

        (await store.GetAsync("TANYWORKSPACE", "E0GRID", Cancel)).ShouldBe("xoxb-grid-org");
        (await store.GetAsync("TANYWORKSPACE", null, Cancel)).ShouldBeNull();
        (await store.GetAsync("TANYWORKSPACE", "E0OTHER", Cancel)).ShouldBeNull();
        (await RawRowsAsync()).ShouldHaveSingleItem().PartitionKey.ShouldBe("enterprise-E0GRID");
    }

    [Fact]
    public async Task GetAsync_TokenOutsideTheMargin_IsAnsweredWithoutRefreshing()
    {
        var store = Process();
        await InstallAsync(store, "alpha");

        // 12 h tokens, refreshed 2 h ahead: at 9 h 59 min there are still more than 2 h left.
        _time.Advance(TimeSpan.FromHours(10) - TimeSpan.FromMinutes(1));

        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxb-alpha");
        _slack.Count("oauth.v2.access").ShouldBe(1);
    }

    [Fact]
    public async Task GetAsync_TokenWithinTheMarginOfExpiry_RefreshesOnceAndKeepsTheNewPairEncrypted()
    {
        var store = Process();
        await InstallAsync(store, "alpha");
        _time.Advance(TimeSpan.FromHours(10) + TimeSpan.FromMinutes(1));

        var token = await store.GetAsync("TALPHA", null, Cancel);

        token.ShouldBe("xoxe.xoxb-refreshed-xoxe-1-alpha");
        var refresh = _slack.All.Where(request => request.Path == "/api/oauth.v2.access").Last().Form;
        refresh["grant_type"].ShouldBe("refresh_token");
        refresh["refresh_token"].ShouldBe("xoxe-1-alpha");
        refresh["client_id"].ShouldBe("1234567890.1234567890");
        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe(token);
        _slack.Count("oauth.v2.access").ShouldBe(2);
        (await store.FindAsync("TALPHA", null, Cancel))!.TokenExpiresAt.ShouldBe(_time.GetUtcNow().AddSeconds(43200));
        var row = (await RawRowsAsync()).ShouldHaveSingleItem();
        string.Join("\n", row.Select(property => property.Value).Select(value => value?.ToString())).ShouldNotContain("xoxe");

        // The next refresh uses the refresh token the last one answered.
        _time.Advance(TimeSpan.FromHours(11));
        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxe.xoxb-refreshed-xoxe-1-next-xoxe-1-alpha");
    }

    [Fact]
    public async Task GetAsync_TwoProcessesAtOnceNearExpiry_OnlyOneRotatesTheToken()
    {
        var first = Process();
        var second = Process();
        await InstallAsync(first, "alpha");
        _time.Advance(TimeSpan.FromHours(11));

        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(index => (index % 2 == 0 ? first : second).GetAsync("TALPHA", null, Cancel).AsTask()));

        _slack.Count("oauth.v2.access").ShouldBe(2, "one install, one refresh");
        tokens.ShouldAllBe(token => token == "xoxb-alpha" || token == "xoxe.xoxb-refreshed-xoxe-1-alpha");
        (await second.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxe.xoxb-refreshed-xoxe-1-alpha");
    }

    [Fact]
    public async Task GetAsync_ExpiredWhileAnotherProcessHoldsTheRefreshLease_AsksToRetry()
    {
        var store = Process();
        await InstallAsync(store, "alpha");
        _time.Advance(TimeSpan.FromHours(12) + TimeSpan.FromSeconds(1));
        var table = Table();
        await table.UpdateEntityAsync(new TableEntity("team-TALPHA", "installation") { ["RefreshLeaseUntil"] = _time.GetUtcNow().AddSeconds(30) }, Azure.ETag.All, TableUpdateMode.Merge, Cancel);

        var busy = await Should.ThrowAsync<SlackApiException>(async () => await store.GetAsync("TALPHA", null, Cancel));

        busy.Kind.ShouldBe(SlackErrorKind.Retry);
        busy.Error.ShouldBe("token_refresh_in_progress");
        _slack.Count("oauth.v2.access").ShouldBe(1);

        // The other process died: once its lease is over, this one refreshes.
        _time.Advance(TimeSpan.FromSeconds(31));
        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxe.xoxb-refreshed-xoxe-1-alpha");
    }

    [Fact]
    public async Task GetAsync_RefreshRefusedWhileTheTokenStillWorks_AnswersTheCurrentToken()
    {
        var store = Process();
        await InstallAsync(store, "alpha");
        _time.Advance(TimeSpan.FromHours(11));
        _slack.PlanError("oauth.v2.access", "internal_error");

        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxb-alpha");
    }

    [Fact]
    public async Task RevokeAsync_InstalledWorkspace_DeletesItsTokensKeepsTheRowAndAReinstallRestoresIt()
    {
        var store = Process();
        await InstallAsync(store, "alpha");
        await InstallAsync(store, "beta");

        await store.RevokeAsync("TALPHA", null, Cancel);

        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBeNull();
        (await store.GetAsync("TBETA", null, Cancel)).ShouldBe("xoxb-beta");
        var revoked = (await RawRowsAsync()).Single(row => row.PartitionKey == "team-TALPHA");
        revoked.ContainsKey("BotTokenSealed").ShouldBeFalse();
        revoked.ContainsKey("RefreshTokenSealed").ShouldBeFalse();
        var installation = (await store.FindAsync("TALPHA", null, Cancel))!;
        installation.Revoked.ShouldBeTrue();
        installation.InstalledBy.ShouldBe("U0INSTALLER");

        await InstallAsync(store, "alpha");
        (await store.GetAsync("TALPHA", null, Cancel)).ShouldBe("xoxb-alpha");
    }

    private SlackInstallationStore Process()
    {
        var services = SlackTestServices.Create(SlackTestServices.OAuthSettings(
            ("Slack:TokenEncryptionKey", _key),
            ("Slack:ApiBaseUrl", _slack.ApiBaseUrl.AbsoluteUri),
            ("Slack:RetryBaseDelay", "00:00:00.010"),
            ("Slack:MaxRetries", "0"),
            ("Storage:ConnectionString", azurite.ConnectionString),
            ("Storage:NamePrefix", _prefix)), _time);
        _processes.Add(services);
        services.GetRequiredService<ISlackBotTokens>().ShouldBeSameAs(services.GetRequiredService<SlackInstallationStore>());
        return services.GetRequiredService<SlackInstallationStore>();
    }

    // The code exchange the install endpoint makes, and the store's save of its answer.
    private async Task InstallAsync(SlackInstallationStore store, string code)
    {
        var services = _processes.Last();
        var access = await services.GetRequiredService<SlackWebApiClient>().ExchangeCodeAsync(code, null, Cancel);
        await store.SaveAsync(access, Cancel);
    }

    private TableClient Table() => azurite.TableService.GetTableClient(_prefix + StorageNames.SlackInstallations);

    private async Task<List<TableEntity>> RawRowsAsync() => await Table().QueryAsync<TableEntity>(cancellationToken: Cancel).ToListAsync(Cancel);
}
