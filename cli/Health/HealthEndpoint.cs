using System.Net;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Digest.Cli.Health;

/// <summary>Configuration section <c>Health</c> of <c>digest run</c>.</summary>
public sealed class HealthOptions
{
    public const string SectionName = "Health";

    /// <summary>The port of <c>/healthz</c> and <c>/readyz</c> (all interfaces, so that a container's probe reaches it);
    /// unset: no endpoint.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 65535)]
    public int? Port { get; set; }
}

/// <summary>
/// <c>digest run</c>'s probes, as the bot has them: <c>GET /healthz</c> (liveness: the process answers) and
/// <c>GET /readyz</c> (readiness: the shared storage check, 503 when storage does not answer). A plain
/// <see cref="HttpListener"/>: the WebJobs host has no web server, and two routes do not need one.
/// </summary>
internal sealed partial class HealthEndpoint(IOptions<HealthOptions> options, HealthCheckService health, ILogger<HealthEndpoint> logger) : BackgroundService
{
    private HttpListener? _listener;

    // Listening before the host has started, so that a probe right after start is answered.
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Port is { } port)
        {
            _listener = new HttpListener();
            _listener.Prefixes.Add($"http://+:{port}/");
            _listener.Start();
            LogListening(logger, port);
        }

        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _listener?.Close();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_listener is not { } listener)
        {
            return;
        }

        await using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when (stoppingToken.IsCancellationRequested && exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            await AnswerAsync(context, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        using var response = context.Response;
        var (status, text) = context.Request.Url?.AbsolutePath switch
        {
            "/healthz" => (HttpStatusCode.OK, "Healthy"),
            "/readyz" => await ReadinessAsync(cancellationToken).ConfigureAwait(false),
            _ => (HttpStatusCode.NotFound, "Not found"),
        };
        response.StatusCode = (int)status;
        response.ContentType = "text/plain; charset=utf-8";
        var body = Encoding.UTF8.GetBytes(text);
        await response.OutputStream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(HttpStatusCode, string)> ReadinessAsync(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
        return (report.Status == HealthStatus.Healthy ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, report.Status.ToString());
    }

    [LoggerMessage(EventId = 1703, Level = LogLevel.Information, Message = "Health probes on port {Port}: /healthz, /readyz")]
    private static partial void LogListening(ILogger logger, int port);
}
