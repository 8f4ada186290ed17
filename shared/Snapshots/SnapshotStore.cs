using System.Globalization;
using System.IO.Compression;
using Azure;
using Azure.Storage.Blobs.Models;
using Digest.Storage;

namespace Digest.Snapshots;

/// <summary>Immutable, gzip-compressed, content-addressed page blobs.</summary>
public sealed class SnapshotStore(DigestStorage storage)
{
    /// <summary>Stores a page's bytes under its hash; a blob that is already there is left as it is (same content).</summary>
    public async Task UploadAsync(string blobName, ReadOnlyMemory<byte> content, IDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(content, cancellationToken);
        }

        compressed.Position = 0;
        try
        {
            await storage.Snapshots.GetBlobClient(blobName).UploadAsync(
                compressed,
                new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/gzip" },
                    Metadata = metadata,
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Content-addressed: the same bytes are already stored.
        }
    }

    /// <summary>The page's bytes exactly as fetched.</summary>
    public async Task<byte[]> DownloadAsync(string blobName, CancellationToken cancellationToken)
    {
        var response = await storage.Snapshots.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken);
        await using var gzip = new GZipStream(response.Value.Content, CompressionMode.Decompress);
        using var page = new MemoryStream();
        await gzip.CopyToAsync(page, cancellationToken);
        return page.ToArray();
    }

    public static string BlobNameFor(string hash) => string.Create(CultureInfo.InvariantCulture, $"sha256/{hash}.gz");
}
