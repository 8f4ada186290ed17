using System.Net;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Digest.Functions;

/// <summary>
/// <c>GET /api/health</c>: 200 when storage answers (the shared/ <c>StorageHealthCheck</c>), 503 otherwise. Anonymous,
/// so that a platform health probe or an availability test can call it; it says nothing but the status.
/// </summary>
public sealed class HealthFunction(HealthCheckService health)
{
    public const string Name = "health";

    [Function(Name)]
    public async Task<HttpResponseData> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Name)] HttpRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var report = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        var response = request.CreateResponse(report.Status == HealthStatus.Healthy ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable);
        await response.WriteStringAsync(report.Status.ToString(), cancellationToken).ConfigureAwait(false);
        return response;
    }
}
