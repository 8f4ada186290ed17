using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Threading.RateLimiting;
using Digest.Platforms.Teams.Schema;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Digest.Platforms.Teams.Connector;

/// <summary>The Bot Connector REST calls the bot needs (docs/protocols.md §3.2). The bearer token is only ever
/// attached to allow-listed service URLs. Attempt timeout, retries (412/429/502/503/504, honouring <c>Retry-After</c>)
/// and a circuit breaker per connector host are the HTTP client's resilience pipeline
/// (<see cref="TeamsServiceCollectionExtensions.AddDigestTeamsPlatform"/>); sends are paced per conversation and per tenant
/// under the Teams limits so that a run does not provoke the 429s it could avoid. Every failure, whatever its cause
/// (a timeout, the token endpoint, a refused or odd answer), comes out as a classified <see cref="ConnectorException"/>.</summary>
public sealed partial class BotConnectorClient : IDisposable
{
    // Sends that may wait for their turn under one rate limit; one more fails as transient instead of queueing forever.
    private const int MaxQueuedSends = 10_000;

    private readonly HttpClient _http;
    private readonly IConnectorTokenProvider _tokens;
    private readonly ServiceUrlPolicy _serviceUrls;
    private readonly bool _loopbackOnly;
    private readonly PartitionedRateLimiter<SendTarget> _limits;
    private readonly DigestMetrics _metrics;
    private readonly ILogger<BotConnectorClient> _logger;

    public BotConnectorClient(
        HttpClient http, IConnectorTokenProvider tokens, IOptions<BotOptions> options, IOptions<ConnectorOptions> connectorOptions, DigestMetrics metrics, ILogger<BotConnectorClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connectorOptions);
        _http = http;
        _tokens = tokens;
        _serviceUrls = new ServiceUrlPolicy(options.Value.AllowedServiceUrls);
        _loopbackOnly = options.Value.AuthenticationDisabled;
        var limits = connectorOptions.Value;
        _limits = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<SendTarget, SendTarget>(target => RateLimitPartition.GetTokenBucketLimiter(target, _ => PerSecond(limits.MessagesPerConversationPerSecond))),
            PartitionedRateLimiter.Create<SendTarget, string>(target => RateLimitPartition.GetTokenBucketLimiter(target.TenantId, _ => PerSecond(limits.RequestsPerTenantPerSecond))));
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The names of the calls, as the <see cref="DigestMetrics.OperationTag"/> of the latency histogram and
    /// the activity of each call (<c>teams send</c>, …).</summary>
    public static class Operations
    {
        public const string Send = "send";
        public const string Reply = "reply";
        public const string Update = "update";
        public const string CreateConversation = "create_conversation";
        public const string CreateChannelPost = "create_channel_post";
    }

    /// <summary><c>POST v3/conversations/{conversationId}/activities</c>.</summary>
    public Task<ResourceResponse> SendToConversationAsync(string serviceUrl, string conversationId, Activity activity, CancellationToken cancellationToken) =>
        SendAsync(Operations.Send, HttpMethod.Post, serviceUrl, $"v3/conversations/{Escape(conversationId)}/activities", Target(conversationId, activity), Outgoing(activity),
            BotJsonContext.Default.Activity, BotJsonContext.Default.ResourceResponse, cancellationToken);

    /// <summary><c>POST v3/conversations/{conversationId}/activities/{activityId}</c> (a reply in the same thread).</summary>
    public Task<ResourceResponse> ReplyToActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken) =>
        SendAsync(Operations.Reply, HttpMethod.Post, serviceUrl, $"v3/conversations/{Escape(conversationId)}/activities/{Escape(activityId)}", Target(conversationId, activity),
            Outgoing(activity) with { ReplyToId = activityId }, BotJsonContext.Default.Activity, BotJsonContext.Default.ResourceResponse, cancellationToken);

    /// <summary><c>PUT v3/conversations/{conversationId}/activities/{activityId}</c> (replace a message the bot sent).</summary>
    public Task<ResourceResponse> UpdateActivityAsync(string serviceUrl, string conversationId, string activityId, Activity activity, CancellationToken cancellationToken) =>
        SendAsync(Operations.Update, HttpMethod.Put, serviceUrl, $"v3/conversations/{Escape(conversationId)}/activities/{Escape(activityId)}", Target(conversationId, activity),
            Outgoing(activity) with { Id = activityId }, BotJsonContext.Default.Activity, BotJsonContext.Default.ResourceResponse, cancellationToken);

    /// <summary><c>POST v3/conversations</c>: the 1:1 chat with a Teams user (needs the user id and the tenant id).</summary>
    public Task<ConversationResourceResponse> CreatePersonalConversationAsync(string serviceUrl, string botId, string userId, string tenantId, CancellationToken cancellationToken)
    {
        var parameters = new ConversationParameters
        {
            IsGroup = false,
            Bot = new ChannelAccount { Id = botId },
            Members = [new ChannelAccount { Id = userId }],
            TenantId = tenantId,
            ChannelData = new() { ["tenant"] = new System.Text.Json.Nodes.JsonObject { ["id"] = tenantId } },
        };
        // No conversation yet: the creates of a tenant share one conversation-sized allowance.
        return SendAsync(Operations.CreateConversation, HttpMethod.Post, serviceUrl, "v3/conversations", new SendTarget(tenantId, ""), parameters,
            BotJsonContext.Default.ConversationParameters, BotJsonContext.Default.ConversationResourceResponse, cancellationToken);
    }

    /// <summary><c>POST v3/conversations</c> with the channel in <c>channelData.channel.id</c>: a new post in a Teams channel
    /// carrying <paramref name="activity"/> (docs/protocols.md §3.2). The answer's <c>id</c> is the new post's conversation
    /// (<c>{channel};messageid={activityId}</c>).</summary>
    public Task<ConversationResourceResponse> CreateChannelPostAsync(string serviceUrl, string channelId, string? tenantId, ChannelAccount? bot, Activity activity, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(channelId);
        ArgumentNullException.ThrowIfNull(activity);
        var channelData = new JsonObject { ["channel"] = new JsonObject { ["id"] = channelId } };
        if (tenantId is { Length: > 0 })
        {
            channelData["tenant"] = new JsonObject { ["id"] = tenantId };
        }

        var parameters = new ConversationParameters
        {
            IsGroup = true,
            Bot = bot,
            TenantId = tenantId is { Length: > 0 } ? tenantId : null,
            Activity = Outgoing(activity) with { Conversation = null },
            ChannelData = channelData,
        };
        // Paced as a message to the channel: every post of a channel counts against the channel's allowance.
        return SendAsync(Operations.CreateChannelPost, HttpMethod.Post, serviceUrl, "v3/conversations", new SendTarget(tenantId ?? "", channelId), parameters,
            BotJsonContext.Default.ConversationParameters, BotJsonContext.Default.ConversationResourceResponse, cancellationToken);
    }

    // Fields a bot should not send (docs/protocols.md §1.1).
    private static Activity Outgoing(Activity activity) => activity with { Id = null, Timestamp = null, ServiceUrl = null, Recipient = null };

    private static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static SendTarget Target(string conversationId, Activity activity) => new(activity.Conversation?.TenantId ?? "", conversationId);

    private static TokenBucketRateLimiterOptions PerSecond(int permits) => new()
    {
        TokenLimit = permits,
        TokensPerPeriod = permits,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = MaxQueuedSends,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        AutoReplenishment = true,
    };

    public void Dispose() => _limits.Dispose();

    /// <summary>One call with its activity (<c>teams {operation}</c>) and its latency, retries and waiting under the rate
    /// limits included, whatever the outcome (<see cref="DigestMetrics.MeasurePlatformCallAsync"/>).</summary>
    private Task<TResponse> SendAsync<TRequest, TResponse>(
        string operation,
        HttpMethod method,
        string serviceUrl,
        string relativePath,
        SendTarget sendTarget,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
        where TResponse : class, new() =>
        _metrics.MeasurePlatformCallAsync(
            TelemetryPlatforms.Teams,
            operation,
            () => SendOnceAsync(method, serviceUrl, relativePath, sendTarget, body, requestType, responseType, cancellationToken),
            exception => exception is ConnectorException connector ? (connector.StatusCode, connector.Failure.ToString()) : null);

    private async Task<(TResponse Response, int Status)> SendOnceAsync<TRequest, TResponse>(
        HttpMethod method,
        string serviceUrl,
        string relativePath,
        SendTarget sendTarget,
        TRequest body,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
        where TResponse : class, new()
    {
        // Without an app id there is no token to protect, and no real connector would take a message without one:
        // only a local one (the Agents Playground) is sent to, whatever the allow-list says.
        Uri? baseUri;
        var allowed = _loopbackOnly
            ? Uri.TryCreate(serviceUrl, UriKind.Absolute, out baseUri) && baseUri.IsLoopback && baseUri.UserInfo.Length == 0
            : _serviceUrls.IsAllowed(serviceUrl, out baseUri);
        if (!allowed || baseUri is null)
        {
            LogServiceUrlRefused(_logger, serviceUrl);
            throw new ConnectorException(ConnectorFailure.ServiceUrlRefused, null, null, _loopbackOnly
                ? $"Without Bot:AppId only loopback service URLs are sent to, not '{serviceUrl}'; nothing was sent."
                : $"The service URL '{serviceUrl}' is not allow-listed; nothing was sent.");
        }

        // Exactly one '/' between the service URL (which may carry a path) and 'v3/…'.
        var target = new Uri(baseUri.AbsoluteUri.TrimEnd('/') + "/" + relativePath);
        using var turn = await _limits.AcquireAsync(sendTarget, 1, cancellationToken).ConfigureAwait(false);
        if (!turn.IsAcquired)
        {
            throw new ConnectorException(ConnectorFailure.Transient, null, null, $"{method} {target.AbsolutePath}: more than {MaxQueuedSends} sends waiting under the rate limits; not sent.");
        }

        var token = await _tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        // Serialised once, with its length: no chunked body, and no serialiser state kept across the send's awaits.
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, requestType));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        using var request = new HttpRequestMessage(method, target) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsUnanswered(exception, cancellationToken))
        {
            LogUnanswered(_logger, method.Method, target.AbsolutePath, exception);
            throw new ConnectorException(ConnectorFailure.Transient, null, null, $"{method} {target.AbsolutePath} got no answer: {exception.Message}", exception);
        }

        using (response)
        {
            var operationId = response.Headers.TryGetValues("X-Correlating-OperationId", out var values) ? values.FirstOrDefault() : null;
            if (response.IsSuccessStatusCode)
            {
                LogSent(_logger, method.Method, target.AbsolutePath, (int)response.StatusCode, operationId);
                if (response.Content.Headers.ContentLength == 0)
                {
                    return (new TResponse(), (int)response.StatusCode);
                }

                try
                {
                    return (await response.Content.ReadFromJsonAsync(responseType, cancellationToken).ConfigureAwait(false) ?? new TResponse(), (int)response.StatusCode);
                }
                catch (Exception exception) when (exception is JsonException or IOException or HttpRequestException)
                {
                    // The connector accepted the request; an odd or broken body must not make the send look failed.
                    LogOddAnswer(_logger, method.Method, target.AbsolutePath, exception);
                    return (new TResponse(), (int)response.StatusCode);
                }
            }

            var status = (int)response.StatusCode;
            var errorCode = await ReadErrorCodeAsync(response, cancellationToken).ConfigureAwait(false);
            var failure = Classify(response.StatusCode, errorCode);
            LogFailed(_logger, method.Method, target.AbsolutePath, status, errorCode, failure, operationId);
            throw new ConnectorException(failure, status, errorCode, $"{method} {target.AbsolutePath} failed with {status} {errorCode}: {failure}.");
        }
    }

    // No answer to classify: the connection failed, the attempt timed out, or the circuit to that host is open. Not the
    // caller's own cancellation, which must end the caller's work.
    private static bool IsUnanswered(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
        || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Maps a connector answer to what it means (docs/protocols.md §3.5).</summary>
    public static ConnectorFailure Classify(HttpStatusCode status, string? errorCode) => (int)status switch
    {
        400 or 413 => ConnectorFailure.BadRequest,
        401 => ConnectorFailure.Unauthorized,
        404 when string.Equals(errorCode, "ActivityNotFoundInConversation", StringComparison.OrdinalIgnoreCase) => ConnectorFailure.ActivityNotFound,
        403 or 404 => ConnectorFailure.ConversationGone,
        412 or 429 or 502 or 503 or 504 => ConnectorFailure.Transient,
        _ => ConnectorFailure.ServerError,
    };

    private static async Task<string?> ReadErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (text.Length == 0 || text.Length > 64 * 1024)
            {
                return null;
            }

            var body = JsonSerializer.Deserialize(text, BotJsonContext.Default.ConnectorErrorResponse);
            return body?.Error?.Code;
        }
        catch (JsonException)
        {
            return null; // e.g. the 403 MessageWritesBlocked variant, which has no error object
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to send the bot's token to service URL {ServiceUrl}: not allow-listed")]
    private static partial void LogServiceUrlRefused(ILogger logger, string serviceUrl);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path} -> {Status} (operation {OperationId})")]
    private static partial void LogSent(ILogger logger, string method, string path, int status, string? operationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} got no answer (connection, timeout or open circuit)")]
    private static partial void LogUnanswered(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} was accepted with a body that could not be read")]
    private static partial void LogOddAnswer(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} -> {Status} {ErrorCode}: {Failure} (operation {OperationId})")]
    private static partial void LogFailed(ILogger logger, string method, string path, int status, string? errorCode, ConnectorFailure failure, string? operationId);

    // Which allowances of the Teams limits a send uses.
    private readonly record struct SendTarget(string TenantId, string ConversationId);
}
