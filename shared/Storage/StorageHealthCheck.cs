using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Digest.Storage;

/// <summary>
/// Readiness of storage for any host: the tables exist (created now if they are missing) and the account answers a
/// point read. One request once the tables are known; the registration's timeout bounds how long an unreachable
/// account can hold the probe (the storage client would otherwise spend its retries).
/// </summary>
public sealed class StorageHealthCheck(DigestStorage storage) : IHealthCheck
{
    /// <summary>The name of the check in health reports.</summary>
    public const string Name = "storage";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);

            // A row that never exists: a 404 is an answer, and the cheapest request that proves the account serves.
            await storage.Pages.GetEntityIfExistsAsync<TableEntity>("health", "probe", select: ["PartitionKey"], cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is RequestFailedException
            || (exception is AggregateException retries && retries.InnerExceptions.All(inner => inner is RequestFailedException)))
        {
            // The storage client throws an AggregateException of its tries once its retries are spent.
            return HealthCheckResult.Unhealthy("Storage is not reachable.", exception);
        }
    }
}

public static class StorageHealthCheckExtensions
{
    /// <summary>Adds <see cref="StorageHealthCheck"/> with the given tags (say <c>ready</c>) and a short timeout.</summary>
    public static IHealthChecksBuilder AddDigestStorageCheck(this IHealthChecksBuilder builder, TimeSpan timeout, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDigestStorage();
        return builder.AddCheck<StorageHealthCheck>(StorageHealthCheck.Name, HealthStatus.Unhealthy, tags, timeout);
    }
}
