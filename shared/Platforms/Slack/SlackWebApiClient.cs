using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Digest.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Digest.Platforms.Slack;

/// <summary>The Slack Web API calls the app needs, on <see cref="HttpClient"/> (bot-protocol.md §5.2.5-5.2.8). The
/// bearer token is passed per call, because each workspace has its own. The named client's resilience pipeline
/// retries 429 (honouring <c>Retry-After</c>), 5xx, timeouts and broken connections with jittered back-off; what
/// still fails, and every <c>ok:false</c>, is thrown as a classified <see cref="SlackApiException"/>. A 5xx retry of
/// <c>chat.postMessage</c> can post a message twice if Slack had posted it before failing: Slack has no idempotency
/// key, and missing an alert is worse than seeing it twice.</summary>
public sealed partial class SlackWebApiClient
{
    /// <summary>The <see cref="IHttpClientFactory"/> name of the client with the Slack resilience pipeline.</summary>
    public const string HttpClientName = "Digest.Slack";

    private const string ResponseUrlMethod = "response_url";
    private const int MaxResponseChars = 1024 * 1024;

    private readonly IHttpClientFactory _httpClients;
    private readonly SlackChannelRateLimiter _channels;
    private readonly SlackOptions _options;
    private readonly IReadOnlyList<Uri> _responseUrlPrefixes;
    private readonly ILogger<SlackWebApiClient> _logger;
    private readonly DigestMetrics _metrics;

    internal SlackWebApiClient(IHttpClientFactory httpClients, SlackChannelRateLimiter channels, IOptions<SlackOptions> options, DigestMetrics metrics, ILogger<SlackWebApiClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClients = httpClients;
        _channels = channels;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _responseUrlPrefixes =
        [
            SlackOptions.SlackResponseUrlPrefix,
            .. _options.AllowedResponseUrls.Select(prefix => Uri.TryCreate(prefix, UriKind.Absolute, out var url) ? url : null).OfType<Uri>(),
        ];
    }

    /// <summary><c>chat.postMessage</c> to a channel (or a user id, for the app's Messages tab), paced per channel.</summary>
    public async Task<SlackPostedMessage> PostMessageAsync(string token, string teamId, string channel, SlackMessage message, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(teamId);
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(message);
        await _channels.WaitTurnAsync(teamId, channel, cancellationToken).ConfigureAwait(false);
        var request = new ChatPostMessageRequest(channel, message.Text, message.Blocks);
        var response = await CallAsync("chat.postMessage", Json(request, SlackJsonContext.Default.ChatPostMessageRequest), token,
            SlackJsonContext.Default.ChatPostMessageResponse, cancellationToken).ConfigureAwait(false);
        return new SlackPostedMessage(response.Channel ?? channel, response.Ts ?? "");
    }

    /// <summary><c>views.publish</c>: replaces a user's App Home tab. With <paramref name="hash"/> (from the last
    /// publish), Slack refuses a publish that raced another one (<c>hash_conflict</c>, <see cref="SlackErrorKind.Fatal"/>).</summary>
    public async Task<SlackViewResult> PublishHomeAsync(string token, string userId, JsonObject view, string? hash, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(view);
        var response = await CallAsync("views.publish", Json(new ViewsPublishRequest(userId, view) { Hash = hash }, SlackJsonContext.Default.ViewsPublishRequest), token,
            SlackJsonContext.Default.ViewResponse, cancellationToken).ConfigureAwait(false);
        return new SlackViewResult(response.View?.Id ?? "", response.View?.Hash);
    }

    /// <summary><c>views.open</c>: opens a modal for the <c>trigger_id</c> of an interaction (valid for 3 seconds).</summary>
    public async Task<SlackViewResult> OpenViewAsync(string token, string triggerId, JsonObject view, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(triggerId);
        ArgumentNullException.ThrowIfNull(view);
        var response = await CallAsync("views.open", Json(new ViewsOpenRequest(triggerId, view), SlackJsonContext.Default.ViewsOpenRequest), token,
            SlackJsonContext.Default.ViewResponse, cancellationToken).ConfigureAwait(false);
        return new SlackViewResult(response.View?.Id ?? "", response.View?.Hash);
    }

    /// <summary><c>auth.test</c>: whose token this is (team, bot user), and whether Slack still accepts it.</summary>
    public Task<SlackAuthTest> AuthTestAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return CallAsync("auth.test", new FormUrlEncodedContent([]), token, SlackJsonContext.Default.SlackAuthTest, cancellationToken);
    }

    /// <summary><c>oauth.v2.access</c> with the <c>code</c> of an install redirect: the new installation's bot token.
    /// <paramref name="redirectUri"/> must be the one the authorize URL carried, if it carried one.</summary>
    public Task<SlackOAuthAccess> ExchangeCodeAsync(string code, Uri? redirectUri, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        var form = ClientCredentials();
        form.Add(new("code", code));
        if (redirectUri is not null)
        {
            form.Add(new("redirect_uri", redirectUri.AbsoluteUri));
        }

        return CallAsync("oauth.v2.access", new FormUrlEncodedContent(form), null, SlackJsonContext.Default.SlackOAuthAccess, cancellationToken);
    }

    /// <summary><c>oauth.v2.access</c> with <c>grant_type=refresh_token</c>: the next access token of a rotating
    /// installation (and the refresh token to keep, which Slack may change).</summary>
    public Task<SlackOAuthAccess> RefreshTokenAsync(string refreshToken, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(refreshToken);
        var form = ClientCredentials();
        form.Add(new("grant_type", "refresh_token"));
        form.Add(new("refresh_token", refreshToken));
        return CallAsync("oauth.v2.access", new FormUrlEncodedContent(form), null, SlackJsonContext.Default.SlackOAuthAccess, cancellationToken);
    }

    /// <summary>True when <paramref name="responseUrl"/> is one Slack made (<c>https://hooks.slack.com/…</c>) or starts
    /// with a configured <c>Slack:AllowedResponseUrls</c> prefix. Anything else could be an attacker's server.</summary>
    public bool IsAllowedResponseUrl(string? responseUrl)
    {
        if (!Uri.TryCreate(responseUrl, UriKind.Absolute, out var url) || url.UserInfo.Length > 0)
        {
            return false;
        }

        return _responseUrlPrefixes.Any(prefix =>
            string.Equals(url.Scheme, prefix.Scheme, StringComparison.Ordinal)
            && string.Equals(url.IdnHost, prefix.IdnHost, StringComparison.OrdinalIgnoreCase)
            && url.Port == prefix.Port
            && url.AbsolutePath.StartsWith(prefix.AbsolutePath, StringComparison.Ordinal));
    }

    /// <summary>Posts a delayed answer to a slash command's or an interaction's <c>response_url</c> (no token: the URL
    /// is the credential). Refuses, without sending, a URL <see cref="IsAllowedResponseUrl"/> does not accept.</summary>
    public Task PostToResponseUrlAsync(string responseUrl, SlackMessage message, bool inChannel, bool replaceOriginal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return MeasuredAsync(ResponseUrlMethod, () => PostToResponseUrlOnceAsync(responseUrl, message, inChannel, replaceOriginal, cancellationToken));
    }

    private async Task<(bool Posted, int Status)> PostToResponseUrlOnceAsync(string responseUrl, SlackMessage message, bool inChannel, bool replaceOriginal, CancellationToken cancellationToken)
    {
        if (!IsAllowedResponseUrl(responseUrl))
        {
            LogResponseUrlRefused(_logger);
            throw new SlackApiException(SlackErrorKind.Fatal, ResponseUrlMethod, "response_url_refused", null, null,
                "The response_url is not on hooks.slack.com or a Slack:AllowedResponseUrls prefix; nothing was sent.");
        }

        var body = new ResponseUrlMessage(message.Text, message.Blocks)
        {
            ResponseType = inChannel ? "in_channel" : "ephemeral",
            ReplaceOriginal = replaceOriginal ? true : null,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(responseUrl)) { Content = Json(body, SlackJsonContext.Default.ResponseUrlMessage) };
        using var response = await SendAsync(ResponseUrlMethod, request, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            // Slack answers "ok", or for some failures a 200 with {"ok":false,"error":…}.
            var text = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
            if (text.StartsWith('{') && TryParse(text, SlackJsonContext.Default.SlackApiResponse) is { Ok: false } failed)
            {
                throw Failed(ResponseUrlMethod, failed.Error ?? "unknown_error", (int)response.StatusCode, null);
            }

            LogCalled(_logger, ResponseUrlMethod, (int)response.StatusCode);
            return (true, (int)response.StatusCode);
        }

        // 404/410: the URL expired (30 minutes, 5 uses): sending again cannot help.
        throw HttpFailure(ResponseUrlMethod, response);
    }

    private List<KeyValuePair<string, string>> ClientCredentials()
    {
        if (string.IsNullOrWhiteSpace(_options.ClientId) || string.IsNullOrWhiteSpace(_options.ClientSecret))
        {
            throw new InvalidOperationException("Slack:ClientId and Slack:ClientSecret are not set: OAuth installs are not configured.");
        }

        return [new("client_id", _options.ClientId), new("client_secret", _options.ClientSecret)];
    }

    // Serialized once to bytes, so a retry of the resilience pipeline sends the same body again.
    private static ByteArrayContent Json<T>(T body, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private Task<TResponse> CallAsync<TResponse>(string method, HttpContent content, string? token, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
        where TResponse : SlackApiResponse =>
        MeasuredAsync(method, () => CallOnceAsync(method, content, token, responseType, cancellationToken));

    // One call with its activity and latency (DigestMetrics.MeasurePlatformCallAsync); a failure's error is Slack's.
    private Task<T> MeasuredAsync<T>(string method, Func<Task<(T Result, int Status)>> call) =>
        _metrics.MeasurePlatformCallAsync(TelemetryPlatforms.Slack, method, call, exception =>
            exception is SlackApiException slack ? (slack.StatusCode, slack.Error) : null);

    private async Task<(TResponse Body, int Status)> CallOnceAsync<TResponse>(string method, HttpContent content, string? token, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
        where TResponse : SlackApiResponse
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.ApiBaseUrl, method)) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await SendAsync(method, request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw HttpFailure(method, response);
        }

        var text = await ReadTextAsync(response, cancellationToken).ConfigureAwait(false);
        var body = TryParse(text, responseType)
            ?? throw new SlackApiException(SlackErrorKind.Retry, method, "invalid_response", (int)response.StatusCode, null, $"{method} answered {(int)response.StatusCode} with a body that is not a Slack API response.");
        if (!body.Ok)
        {
            throw Failed(method, body.Error ?? "unknown_error", (int)response.StatusCode, RetryAfter(response), body.Needed);
        }

        LogCalled(_logger, method, (int)response.StatusCode);
        return (body, (int)response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendAsync(string method, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is HttpRequestException or TimeoutRejectedException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnreachable(_logger, method, exception);
            throw new SlackApiException(SlackErrorKind.Retry, method, exception is HttpRequestException ? "connection_failed" : "timeout", null, null, $"{method} did not get an answer: {exception.Message}", exception);
        }
    }

    private SlackApiException HttpFailure(string method, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var kind = status is 408 or 429 or >= 500 ? SlackErrorKind.Retry : SlackErrorKind.Fatal;
        var error = status == 429 ? "ratelimited" : response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone && method == ResponseUrlMethod ? "expired_url" : $"http_{status}";
        var retryAfter = RetryAfter(response);
        LogFailed(_logger, method, status, error, kind);
        return new SlackApiException(kind, method, error, status, retryAfter, $"{method} failed with HTTP {status} ({error}): {kind}.");
    }

    private SlackApiException Failed(string method, string error, int status, TimeSpan? retryAfter, string? needed = null)
    {
        var kind = SlackErrors.Classify(error);
        LogFailed(_logger, method, status, error, kind);
        var detail = needed is null ? "" : $" (needs scope {needed})";
        return new SlackApiException(kind, method, error, status, retryAfter, $"{method} failed: {error}{detail}: {kind}.");
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta is { } delta ? (delta < TimeSpan.Zero ? TimeSpan.Zero : delta) : null;

    private static async Task<string> ReadTextAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return text.Length > MaxResponseChars ? "" : text;
    }

    private static T? TryParse<T>(string text, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return text.Length == 0 ? null : JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Slack {Method} -> {Status} ok")]
    private static partial void LogCalled(ILogger logger, string method, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack {Method} -> {Status} {Error}: {Kind}")]
    private static partial void LogFailed(ILogger logger, string method, int status, string error, SlackErrorKind kind);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slack {Method} got no answer")]
    private static partial void LogUnreachable(ILogger logger, string method, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to post to a response_url that is not on hooks.slack.com or allow-listed")]
    private static partial void LogResponseUrlRefused(ILogger logger);
}
