using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Digest.Storage;

/// <summary>Where Digest keeps its blobs, tables and queues. Bound from the <c>Storage</c> section, which is also the
/// connection of the Function App's queue trigger (<c>Connection = "Storage"</c>): the Functions host reads
/// <c>Storage__ConnectionString</c>, <c>Storage__accountName</c> or <c>Storage__queueServiceUri</c> from it as well.</summary>
public sealed partial class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    /// <summary>The Azurite development account.</summary>
    public const string DevelopmentConnectionString = "UseDevelopmentStorage=true";

    /// <summary>
    /// A storage connection string. Used when neither <see cref="AccountName"/> nor the service URIs are set.
    /// </summary>
    /// <value>The default value is <c>UseDevelopmentStorage=true</c> (Azurite on its default ports).</value>
    public string? ConnectionString { get; set; } = DevelopmentConnectionString;

    /// <summary>The blob service URI of a storage account reached with managed identity (Azure).</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>The table service URI of a storage account reached with managed identity (Azure).</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>The queue service URI of a storage account reached with managed identity (Azure).</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>The name of a storage account in the Azure public cloud, reached with managed identity: the same as
    /// setting the three service URIs to <c>https://NAME.blob.core.windows.net</c> and so on.</summary>
    public string? AccountName { get; set; }

    /// <summary>The client id of a user-assigned managed identity; empty for the system-assigned one (or, outside Azure,
    /// whatever <c>DefaultAzureCredential</c> finds: an <c>az login</c>, a developer tool's account).</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>The same as <see cref="ManagedIdentityClientId"/>, under the name the Functions host reads for the queue
    /// trigger's identity-based connection (<c>Storage__clientId</c>), so that one setting serves both.</summary>
    public string? ClientId { get; set; }

    /// <summary>The user-assigned managed identity's client id, from either setting.</summary>
    public string? IdentityClientId => string.IsNullOrEmpty(ManagedIdentityClientId) ? ClientId : ManagedIdentityClientId;

    /// <summary>
    /// A prefix for every table and container name (<see cref="StorageNames"/>), so that several deployments or test
    /// runs can share one account. Lower-case letters and digits, starting with a letter.
    /// </summary>
    /// <value>The default value is empty.</value>
    [RegularExpression("^([a-z][a-z0-9]{0,19})?$", ErrorMessage = "Storage:NamePrefix must be at most 20 lower-case letters and digits, starting with a letter.")]
    public string NamePrefix { get; set; } = "";

    /// <summary>
    /// The delivery queue's full name, <c>NamePrefix</c> + <c>deliveries</c>, as the Function App's queue trigger reads it
    /// (<c>%Storage:DeliveryQueue%</c>: trigger settings are app settings, so the host cannot work it out). Optional
    /// elsewhere; when it is set it must be that name, so that the trigger listens where the notifier writes.
    /// </summary>
    public string? DeliveryQueue { get; set; }

    /// <summary>The delivery queue's name under <see cref="NamePrefix"/>.</summary>
    public string DeliveryQueueName => NamePrefix + StorageNames.DeliveryQueue;

    /// <summary>True when the account is reached with managed identity (account name or service URIs) rather than the
    /// connection string.</summary>
    public bool UsesServiceUris => BlobServiceUri is not null || TableServiceUri is not null || QueueServiceUri is not null || !string.IsNullOrEmpty(AccountName);

    /// <summary>The service URI of <paramref name="explicitUri"/>, or the account name's in the public cloud.</summary>
    public Uri ServiceUri(Uri? explicitUri, string service) =>
        explicitUri ?? new Uri(string.Create(CultureInfo.InvariantCulture, $"https://{AccountName}.{service}.core.windows.net"));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The pattern above keeps today's names valid; this keeps a longer base name added later from passing
        // validation and failing at the first create.
        var invalid = StorageNames.Tables.Select(name => NamePrefix + name).Where(name => !StorageNames.IsValidTableName(name))
            .Concat(StorageNames.Containers.Select(name => NamePrefix + name).Where(name => !StorageNames.IsValidContainerName(name)))
            .Concat(StorageNames.Queues.Select(name => NamePrefix + name).Where(name => !StorageNames.IsValidQueueName(name)))
            .ToList();
        if (invalid.Count > 0)
        {
            yield return new ValidationResult(
                $"Storage:NamePrefix '{NamePrefix}' makes invalid table, container or queue names: {string.Join(", ", invalid)}.", [nameof(NamePrefix)]);
        }

        if (DeliveryQueue is { Length: > 0 } queue && !string.Equals(queue, DeliveryQueueName, StringComparison.Ordinal))
        {
            yield return new ValidationResult(
                $"Storage:DeliveryQueue is '{queue}' but the notifier writes to '{DeliveryQueueName}' (Storage:NamePrefix + \"{StorageNames.DeliveryQueue}\"): " +
                $"set Storage:DeliveryQueue to '{DeliveryQueueName}' so that the queue trigger reads what the notifier writes.",
                [nameof(DeliveryQueue)]);
        }

        if (!string.IsNullOrEmpty(AccountName) && !AccountNamePattern().IsMatch(AccountName))
        {
            yield return new ValidationResult($"Storage:AccountName '{AccountName}' is not a storage account name (3-24 lower-case letters and digits).", [nameof(AccountName)]);
        }

        if (UsesServiceUris)
        {
            if (string.IsNullOrEmpty(AccountName) && (BlobServiceUri is null || TableServiceUri is null || QueueServiceUri is null))
            {
                yield return new ValidationResult(
                    "Set Storage:AccountName, or all of Storage:BlobServiceUri, Storage:TableServiceUri and Storage:QueueServiceUri (managed identity), " +
                    "or none of them and use Storage:ConnectionString.",
                    [nameof(BlobServiceUri), nameof(TableServiceUri), nameof(QueueServiceUri)]);
            }

            foreach (var (name, uri) in new[] { (nameof(BlobServiceUri), BlobServiceUri), (nameof(TableServiceUri), TableServiceUri), (nameof(QueueServiceUri), QueueServiceUri) })
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
                "or Storage:AccountName (or the three Storage:*ServiceUri) with managed identity.",
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
            _ = new QueueServiceClient(connectionString);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex AccountNamePattern();
}
