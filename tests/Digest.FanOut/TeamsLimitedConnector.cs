using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Digest.FanOut;

/// <summary>
/// A loopback Bot Connector that takes <c>POST v3/conversations/{id}/activities</c> as Teams does and, when limited,
/// enforces Teams' published limits the way the service does: past 7 messages a second in one conversation or about 50
/// requests a second in one tenant it answers 429 with <c>Retry-After</c>. It counts what it accepted and refused.
/// </summary>
internal sealed class TeamsLimitedConnector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _limited;
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _conversations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _tenants = new(StringComparer.Ordinal);
    private long _accepted;
    private long _throttled;

    private TeamsLimitedConnector(WebApplication app, bool limited)
    {
        _app = app;
        _limited = limited;
    }

    public string ServiceUrl { get; private set; } = "";

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Throttled => Interlocked.Read(ref _throttled);

    public static async Task<TeamsLimitedConnector> StartAsync(bool limited, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var connector = new TeamsLimitedConnector(app, limited);
        app.MapPost("/v3/conversations/{conversationId}/activities", connector.ReceiveAsync);
        await app.StartAsync(cancellationToken);
        connector.ServiceUrl = app.Urls.First() + "/";
        return connector;
    }

    private async Task<IResult> ReceiveAsync(HttpContext context, string conversationId)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var tenant = body.RootElement.TryGetProperty("conversation", out var conversation) && conversation.TryGetProperty("tenantId", out var id) ? id.GetString() ?? "" : "";
        if (_limited && !(Acquire(_tenants, tenant, 50) && Acquire(_conversations, conversationId, 7)))
        {
            Interlocked.Increment(ref _throttled);
            context.Response.Headers.RetryAfter = "1";
            return Results.StatusCode(StatusCodes.Status429TooManyRequests);
        }

        var number = Interlocked.Increment(ref _accepted);
        return Results.Json(new Dictionary<string, string> { ["id"] = number.ToString(CultureInfo.InvariantCulture) }, statusCode: StatusCodes.Status201Created);
    }

    private static bool Acquire(ConcurrentDictionary<string, TokenBucketRateLimiter> limiters, string key, int perSecond)
    {
        var limiter = limiters.GetOrAdd(key, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        using var lease = limiter.AttemptAcquire();
        return lease.IsAcquired;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        foreach (var limiter in _conversations.Values.Concat(_tenants.Values))
        {
            limiter.Dispose();
        }
    }
}
