using Digest.Steps;
using Digest.Storage;
using Digest.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Digest.Functions;

/// <summary>The Function App's composition: what <c>Program</c> registers, and nothing else does.</summary>
public static class DigestFunctionApp
{
    /// <summary>How long the health probe waits for storage.</summary>
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Registers the steps of <see cref="DigestSteps"/> through the same shared/ methods as <c>digest</c>
    /// (<see cref="StepsServiceCollectionExtensions.AddDigestSteps"/>), the telemetry (<see cref="TelemetryServiceCollectionExtensions.AddDigestTelemetry(IServiceCollection, IConfiguration, string)"/>
    /// and the worker's own OpenTelemetry), and the storage health check. Every option is validated when the host starts:
    /// a wrong one stops it with its message.
    /// </summary>
    public static void Configure(FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDigestTelemetry(builder.Configuration, TelemetryServiceCollectionExtensions.ServiceNames.FunctionApp);
        builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
        var delivers = builder.Services.AddDigestSteps(builder.Configuration);
        builder.Services.AddHealthChecks().AddDigestStorageCheck(HealthTimeout);

        // The Functions host reads the queue trigger's name from this app setting; it cannot work out the name prefix.
        builder.Services.AddOptions<StorageOptions>()
            .Validate(
                options => !string.IsNullOrEmpty(options.DeliveryQueue),
                $"Storage:DeliveryQueue is not set: the DeliverToSubscription trigger reads its queue's name from it. Set it (app setting Storage__DeliveryQueue) to Storage:NamePrefix + \"{StorageNames.DeliveryQueue}\".")
            .ValidateOnStart();
        if (!delivers && !(Disabled(builder.Configuration, DigestSteps.NotifySubscribers) && Disabled(builder.Configuration, DigestSteps.DeliverToSubscription)))
        {
            builder.Services.AddOptions<DeliveryOff>()
                .Validate(_ => false,
                    $"Delivery:Enabled is off, so {DigestSteps.NotifySubscribers} and {DigestSteps.DeliverToSubscription} cannot run: turn it on (with the Bot settings), " +
                    $"or disable both with AzureWebJobs.{DigestSteps.NotifySubscribers}.Disabled=true and AzureWebJobs.{DigestSteps.DeliverToSubscription}.Disabled=true.")
                .ValidateOnStart();
        }
    }

    // The Functions host's own switch for a function (app setting AzureWebJobs.<name>.Disabled).
    private static bool Disabled(IConfiguration configuration, string function) =>
        configuration.GetValue<bool>($"AzureWebJobs.{function}.Disabled");

    /// <summary>The options whose validation stops a host that would run the delivery functions without delivery.</summary>
    private sealed class DeliveryOff;
}
