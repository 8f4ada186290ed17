using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Digest.Storage;
using Microsoft.Extensions.Options;

[assembly: AssemblyFixture(typeof(Digest.Tests.Infrastructure.AzuriteFixture))]

namespace Digest.Tests.Infrastructure;

/// <summary>
/// One storage emulator for the whole test run (<see cref="AzuriteProcess"/>): a connection string from
/// <c>DIGEST_TEST_STORAGE</c> when set, otherwise the Azurite pinned in the repository's package.json on loopback, with
/// dynamic ports and in-memory persistence, stopped at the end.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    public string ConnectionString { get; private set; } = "";

    public TableServiceClient TableService => new(ConnectionString);

    public BlobServiceClient BlobService => new(ConnectionString);

    /// <summary>The queue service, with messages in Base64 as the product (and the Functions host) writes them.</summary>
    public QueueServiceClient QueueService => new(ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    /// <summary>Every table, container and queue of the product, under a <c>Storage:NamePrefix</c> no other test uses.</summary>
    public DigestStorage NewStorage() =>
        new(BlobService, TableService, QueueService, Options.Create(new StorageOptions { ConnectionString = ConnectionString, NamePrefix = UniqueName("s")[..13] }));

    /// <summary>An emulator-style connection string whose endpoints are a loopback port nothing listens on: storage
    /// that cannot be reached, refused at once.</summary>
    public static string UnreachableConnectionString() => ClosedLoopbackPort.StorageConnectionString();

    /// <summary>A name no other test uses, valid for tables and containers.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 20, 63)];

    public async ValueTask InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(CancellationToken.None);
        ConnectionString = _azurite.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
