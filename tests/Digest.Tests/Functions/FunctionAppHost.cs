using Digest.Functions;
using Digest.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Digest.Tests.Functions;

/// <summary>
/// The Function App's own host, composed by <see cref="DigestFunctionApp.Configure"/> as its <c>Program</c> does. There is
/// no Functions host in tests, so the gRPC worker is never started: tests build each function class from the host's
/// services and call it as the worker would.
/// </summary>
internal static class FunctionAppHost
{
    /// <summary>The host as <c>Program</c> builds it, with these settings in place of app settings, and
    /// <paramref name="configureServices"/> last (tests add an in-memory exporter).</summary>
    public static IHost Build(Dictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        DigestFunctionApp.Configure(builder);
        configureServices?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>The app settings of a Function App on this storage under <paramref name="prefix"/>, crawling
    /// <paramref name="source"/> for <paramref name="day"/>, with delivery on.</summary>
    public static Dictionary<string, string?> Settings(string connectionString, string prefix, string source, string day) => new(StringComparer.Ordinal)
    {
        ["Storage:ConnectionString"] = connectionString,
        ["Storage:NamePrefix"] = prefix,
        ["Storage:DeliveryQueue"] = prefix + "deliveries",
        ["Sources:Source"] = source,
        ["Sources:Dates:0"] = day,
        ["Sources:RetryBaseDelay"] = "00:00:00.010",
        ["Delivery:Enabled"] = "true",

        // What the Functions host hands its worker; nothing listens there, and validation stops a start before any call.
        ["Functions:Worker:HostEndpoint"] = $"http://127.0.0.1:{ClosedLoopbackPort.Next()}",
        ["Functions:Worker:WorkerId"] = Guid.NewGuid().ToString(),
        ["Functions:Worker:RequestId"] = Guid.NewGuid().ToString(),
        ["Functions:Worker:GrpcMaxMessageLength"] = "2147483647",
    };
}
