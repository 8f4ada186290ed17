using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace Digest.Storage;

/// <summary>
/// The tables and containers of the crawl pipeline, resolved once. Clients are thread-safe singletons.
/// </summary>
public sealed class DigestStorage
{
    private readonly Lazy<Task> _created;

    public DigestStorage(BlobServiceClient blobs, TableServiceClient tables, IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        var prefix = options.Value.NamePrefix;
        Snapshots = blobs.GetBlobContainerClient(prefix + "snapshots");
        Pages = tables.GetTableClient(prefix + "pages");
        SnapshotLog = tables.GetTableClient(prefix + "snapshots");
        Papers = tables.GetTableClient(prefix + "papers");
        Changes = tables.GetTableClient(prefix + "changes");
        TableService = tables;
        _created = new Lazy<Task>(() => CreateAllAsync(CancellationToken.None), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Raw pages, one immutable gzip blob per distinct content, named by its SHA-256.</summary>
    public BlobContainerClient Snapshots { get; }

    /// <summary>One row per watched page: its last fetch validators, latest snapshot and parsed state.</summary>
    public TableClient Pages { get; }

    /// <summary>One row per stored snapshot (partition = page), with the outcome of parsing it.</summary>
    public TableClient SnapshotLog { get; }

    /// <summary>One row per paper (partition = arXiv year-month), the latest known state.</summary>
    public TableClient Papers { get; }

    /// <summary>The change log (partition = UTC day the change was seen).</summary>
    public TableClient Changes { get; }

    /// <summary>The table service, for other features that keep their own tables.</summary>
    public TableServiceClient TableService { get; }

    /// <summary>Creates the tables and the container if they do not exist; once per process.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        _created.Value.WaitAsync(cancellationToken);

    /// <summary>
    /// Creates what is missing. A process that finds everything in place (every <c>digest once</c> after the first)
    /// spends two reads here instead of five create requests that fail with 409 but are billed as writes.
    /// </summary>
    private async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        TableClient[] tables = [Pages, SnapshotLog, Papers, Changes];
        var existing = new HashSet<string>(StringComparer.Ordinal);
        var filter = string.Join(" or ", tables.Select(table => TableClient.CreateQueryFilter($"TableName eq {table.Name}")));
        await foreach (var table in TableService.QueryAsync(filter, cancellationToken: cancellationToken))
        {
            existing.Add(table.Name);
        }

        var creates = tables.Where(table => !existing.Contains(table.Name)).Select(table => CreateTableAsync(table, cancellationToken)).ToList();
        if (!await Snapshots.ExistsAsync(cancellationToken))
        {
            creates.Add(Snapshots.CreateIfNotExistsAsync(cancellationToken: cancellationToken));
        }

        await Task.WhenAll(creates);
    }

    private static async Task CreateTableAsync(TableClient table, CancellationToken cancellationToken)
    {
        try
        {
            await table.CreateIfNotExistsAsync(cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Created by another instance between the check and the create.
        }
    }
}
