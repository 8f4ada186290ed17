using Shouldly;

namespace Digest.Tests.Infrastructure;

public sealed class AzuriteFixtureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Tables_CreateAndQuery_RoundTrips()
    {
        var ct = TestContext.Current.CancellationToken;
        var table = azurite.TableService.GetTableClient(AzuriteFixture.UniqueName("t"));
        await table.CreateIfNotExistsAsync(ct);
        await table.AddEntityAsync(new Azure.Data.Tables.TableEntity("p", "r") { ["x"] = 1 }, ct);

        var entity = await table.GetEntityAsync<Azure.Data.Tables.TableEntity>("p", "r", cancellationToken: ct);

        entity.Value.GetInt32("x").ShouldBe(1);
    }

    [Fact]
    public async Task Blobs_Upload_RoundTrips()
    {
        var ct = TestContext.Current.CancellationToken;
        var container = azurite.BlobService.GetBlobContainerClient(AzuriteFixture.UniqueName("c"));
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        await container.UploadBlobAsync("a", BinaryData.FromString("hello"), ct);

        var content = await container.GetBlobClient("a").DownloadContentAsync(ct);

        content.Value.Content.ToString().ShouldBe("hello");
    }
}
