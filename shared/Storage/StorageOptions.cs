using System.ComponentModel.DataAnnotations;
using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Digest.Storage;

/// <summary>Where Digest keeps its blobs and tables. Bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    /// <summary>The Azurite development account.</summary>
    public const string DevelopmentConnectionString = "UseDevelopmentStorage=true";

    /// <summary>
    /// A storage connection string. Used when <see cref="BlobServiceUri"/> and <see cref="TableServiceUri"/> are not set.
    /// </summary>
    /// <value>The default value is <c>UseDevelopmentStorage=true</c> (Azurite on its default ports).</value>
    public string? ConnectionString { get; set; } = DevelopmentConnectionString;

    /// <summary>The blob service URI of a storage account reached with managed identity (Azure).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>The table service URI of a storage account reached with managed identity (Azure).</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>The client id of a user-assigned managed identity; empty for the system-assigned one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>
    /// A prefix for every table and container name (<see cref="StorageNames"/>), so that several deployments or test
    /// runs can share one account. Lower-case letters and digits, starting with a letter.
    /// </summary>
    /// <value>The default value is empty.</value>
    [RegularExpression("^([a-z][a-z0-9]{0,19})?$", ErrorMessage = "Storage:NamePrefix must be at most 20 lower-case letters and digits, starting with a letter.")]
    public string NamePrefix { get; set; } = "";

    /// <summary>True when the service URIs (managed identity) are used rather than the connection string.</summary>
    public bool UsesServiceUris => BlobServiceUri is not null || TableServiceUri is not null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The pattern above keeps today's names valid; this keeps a longer base name added later from passing
        // validation and failing at the first create.
        var invalid = StorageNames.Tables.Select(name => NamePrefix + name).Where(name => !StorageNames.IsValidTableName(name))
            .Concat(StorageNames.Containers.Select(name => NamePrefix + name).Where(name => !StorageNames.IsValidContainerName(name)))
            .ToList();
        if (invalid.Count > 0)
        {
            yield return new ValidationResult(
                $"Storage:NamePrefix '{NamePrefix}' makes invalid table or container names: {string.Join(", ", invalid)}.", [nameof(NamePrefix)]);
        }

        if (UsesServiceUris)
        {
            if (BlobServiceUri is null || TableServiceUri is null)
            {
                yield return new ValidationResult(
                    "Set both Storage:BlobServiceUri and Storage:TableServiceUri (managed identity), or neither and use Storage:ConnectionString.",
                    [nameof(BlobServiceUri), nameof(TableServiceUri)]);
            }

            foreach (var (name, uri) in new[] { (nameof(BlobServiceUri), BlobServiceUri), (nameof(TableServiceUri), TableServiceUri) })
            {
                if (uri is { IsAbsoluteUri: false } || (uri is not null && uri.Scheme != Uri.UriSchemeHttps && !uri.IsLoopback))
                {
                    yield return new ValidationResult($"Storage:{name} must be an absolute https URI, e.g. https://myaccount.blob.core.windows.net.", [name]);
                }
            }
        }
        else if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Storage:ConnectionString is empty. Use UseDevelopmentStorage=true for Azurite, a storage account connection string, " +
                "or Storage:BlobServiceUri and Storage:TableServiceUri with managed identity.",
                [nameof(ConnectionString)]);
        }
        else if (ConnectionStringProblem(ConnectionString) is { } problem)
        {
            // The value itself stays out of the message: a real one holds the account key.
            yield return new ValidationResult(
                $"Storage:ConnectionString is not a valid connection string ({problem}). Use UseDevelopmentStorage=true for Azurite, " +
                "or the account's connection string from the Azure portal (DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…;EndpointSuffix=core.windows.net).",
                [nameof(ConnectionString)]);
        }
    }

    /// <summary>
    /// Why the Blob or Table client would refuse the connection string, or null. The clients parse it when they are
    /// built, which is after start-up; building them here, without any request, makes a bad value fail at start.
    /// </summary>
    private static string? ConnectionStringProblem(string connectionString)
    {
        try
        {
            _ = new BlobServiceClient(connectionString);
            _ = new TableServiceClient(connectionString);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }
}
