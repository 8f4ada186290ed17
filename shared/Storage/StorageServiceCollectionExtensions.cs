using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Digest.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers validated <see cref="StorageOptions"/>, the Blob, Table and Queue service clients (connection string,
    /// or account name / service URIs with managed identity), the request counter and <see cref="DigestStorage"/>. Every layer that
    /// keeps data calls it; it registers once, so a bad setting is reported once.
    /// </summary>
    public static IServiceCollection AddDigestStorage(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(DigestStorage)))
        {
            return services;
        }

        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton<StorageRequestCounter>();
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var clientOptions = new BlobClientOptions();
            clientOptions.AddPolicy(provider.GetRequiredService<StorageRequestCounter>(), HttpPipelinePosition.PerRetry);
            if (provider.GetService<RefusedConnectionPolicy>() is { } failFast)
            {
                clientOptions.AddPolicy(failFast, HttpPipelinePosition.PerRetry);
            }

            return options.UsesServiceUris
                ? new BlobServiceClient(options.ServiceUri(options.BlobServiceUri, "blob"), Credential(options), clientOptions)
                : new BlobServiceClient(options.ConnectionString, clientOptions);
        });
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
            var clientOptions = new TableClientOptions();
            clientOptions.AddPolicy(provider.GetRequiredService<StorageRequestCounter>(), HttpPipelinePosition.PerRetry);
            if (provider.GetService<RefusedConnectionPolicy>() is { } failFast)
            {
                clientOptions.AddPolicy(failFast, HttpPipelinePosition.PerRetry);
            }

            return options.UsesServiceUris
                ? new TableServiceClient(options.ServiceUri(options.TableServiceUri, "table"), Credential(options), clientOptions)
                : new TableServiceClient(options.ConnectionString, clientOptions);
        });
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;

            // Base64, as the Functions host's queue trigger reads and writes messages (its default messageEncoding).
            var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
            clientOptions.AddPolicy(provider.GetRequiredService<StorageRequestCounter>(), HttpPipelinePosition.PerRetry);
            if (provider.GetService<RefusedConnectionPolicy>() is { } failFast)
            {
                clientOptions.AddPolicy(failFast, HttpPipelinePosition.PerRetry);
            }

            return options.UsesServiceUris
                ? new QueueServiceClient(options.ServiceUri(options.QueueServiceUri, "queue"), Credential(options), clientOptions)
                : new QueueServiceClient(options.ConnectionString, clientOptions);
        });
        services.TryAddSingleton<DigestStorage>();
        return services;
    }

    /// <summary>
    /// For a command line: a connection that storage refuses (nothing listens there) fails the request at once with
    /// <see cref="StorageUnreachableException"/> instead of after the SDK's retries. The timer host keeps retrying:
    /// it has no person waiting, and its next run comes anyway.
    /// </summary>
    public static IServiceCollection FailFastWhenStorageRefuses(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<RefusedConnectionPolicy>();
        return services;
    }

    // In Azure the managed identity (the user-assigned one when its client id is set); on a developer's machine whatever
    // DefaultAzureCredential finds there (az login, a developer tool's account).
    private static TokenCredential Credential(StorageOptions options) =>
        new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = string.IsNullOrEmpty(options.IdentityClientId) ? null : options.IdentityClientId,
        });
}
