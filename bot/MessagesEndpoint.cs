using System.Net.Mime;
using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Authentication;
using Digest.FrontEnds.Teams;
using Digest.Platforms.Teams.Schema;
using Digest.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Digest.Bot;

/// <summary><c>/api/messages</c>: the inbound checks of docs/protocols.md §2.4, in order, then the activity is handled
/// within the request (answers go out through the connector; <c>invoke</c> is answered in the response) and only then
/// acknowledged: a 200 means the work is done, so nothing acknowledged lives only in memory, and a busy bot answers
/// later rather than refusing (the channel allows seconds). A handler that fails is logged and answered 500.</summary>
public sealed partial class MessagesEndpoint(
    IOptions<BotOptions> options,
    BotTokenValidator validator,
    IActivityHandler handler,
    RecentActivities recent,
    DigestMetrics metrics,
    RequestWorkLimiter limiter,
    IHostApplicationLifetime lifetime,
    ILogger<MessagesEndpoint> logger)
{
    public const string Path = "/api/messages";

    private readonly BotOptions _options = options.Value;
    private readonly ServiceUrlPolicy _serviceUrls = new(options.Value.AllowedServiceUrls);

    /// <summary>Handles one request and counts it by the status it was answered (<c>digest.bot.requests</c>).</summary>
    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var answered = false;
        try
        {
            await HandleRequestAsync(context).ConfigureAwait(false);
            answered = true;
        }
        finally
        {
            // A request that threw is answered 500 by the server, unless it was the client that went away.
            var status = answered || context.Response.HasStarted ? context.Response.StatusCode
                : context.RequestAborted.IsCancellationRequested ? StatusCodes.Status499ClientClosedRequest
                : StatusCodes.Status500InternalServerError;
            metrics.BotRequest(TelemetryPlatforms.Teams, status);
        }
    }

    private async Task HandleRequestAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var cancellationToken = context.RequestAborted;

        // 1. Method, content type, size.
        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST";
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (!IsJson(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        if (request.ContentLength > _options.MaxRequestBodyBytes)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        // The server counts the bytes as the body is read, chunked bodies too (they have no Content-Length to check).
        context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = _options.MaxRequestBodyBytes;

        // 2. The bearer token, before the body is even read.
        ValidatedBotToken? token = null;
        if (!_options.AuthenticationDisabled)
        {
            if (!BotTokenValidator.TryGetBearerToken([.. request.Headers.Authorization], out var bearer, out var headerFailure))
            {
                Reject(context, StatusCodes.Status401Unauthorized, headerFailure);
                return;
            }

            var result = await validator.ValidateTokenAsync(bearer, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                Reject(context, StatusCodes.Status401Unauthorized, result.FailureReason!);
                return;
            }

            token = result.Token;
        }

        var body = await RequestBodies.ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        // 3. The activity.
        var activity = ActivityReader.TryRead(body);
        if (activity is null || string.IsNullOrEmpty(activity.Type))
        {
            Reject(context, StatusCodes.Status400BadRequest, activity is null ? "body is not a JSON object activity" : "activity has no type");
            return;
        }

        // 4. Endorsements and the serviceurl claim; the service URL must be one we may send our token to.
        if (token is not null && BotTokenValidator.CheckActivity(token, activity) is { } claimFailure)
        {
            Reject(context, StatusCodes.Status401Unauthorized, claimFailure);
            return;
        }

        if (!_serviceUrls.IsAllowed(activity.ServiceUrl, out _))
        {
            Reject(context, StatusCodes.Status401Unauthorized, $"serviceUrl '{Truncate(activity.ServiceUrl)}' is not allow-listed");
            return;
        }

        // 5. Tenant consistency and the tenant allow-list.
        var tenant = activity.Conversation?.TenantId;
        var dataTenant = TeamsActivityHandler.ChannelDataTenant(activity);
        if (tenant is { Length: > 0 } && dataTenant is { Length: > 0 } && !string.Equals(tenant, dataTenant, StringComparison.OrdinalIgnoreCase))
        {
            Reject(context, StatusCodes.Status403Forbidden, "conversation.tenantId differs from channelData.tenant.id");
            return;
        }

        if (_options.AllowedTenantIds.Count > 0 && !_options.AllowedTenantIds.Contains(TeamsActivityHandler.TenantOf(activity) ?? "", StringComparer.OrdinalIgnoreCase))
        {
            Reject(context, StatusCodes.Status403Forbidden, "tenant is not allowed");
            return;
        }

        if (activity.ChannelId == "msteams" && !_options.AuthenticationDisabled && activity.Recipient?.Id != "28:" + _options.AppId)
        {
            LogUnexpectedRecipient(logger, activity.Recipient?.Id);
        }

        // 6. Dispatch.
        if (activity.Type == ActivityTypes.Invoke)
        {
            var invokeResponse = await handler.HandleInvokeAsync(activity, cancellationToken).ConfigureAwait(false);
            response.StatusCode = invokeResponse.Status;
            if (invokeResponse.Body is { } invokeBody)
            {
                response.ContentType = "application/json; charset=utf-8";
                await response.WriteAsync(invokeBody.ToJsonString(), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (activity.Type is ActivityTypes.Message or ActivityTypes.ConversationUpdate or ActivityTypes.InstallationUpdate)
        {
            var id = activity.Id;
            var conversationId = activity.Conversation?.Id;
            if (id is { Length: > 0 } && conversationId is not null && !recent.TryAdd(conversationId, id))
            {
                LogDuplicate(logger, id);
            }
            else
            {
                using var turn = await limiter.EnterAsync(cancellationToken).ConfigureAwait(false);
                if (turn is null)
                {
                    if (id is { Length: > 0 } && conversationId is not null)
                    {
                        recent.Forget(conversationId, id); // refused before any work: the retry must be handled
                    }

                    response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                    response.Headers.RetryAfter = "1";
                    return;
                }

                try
                {
                    // Not the request's token: a channel that gives up waiting must not leave a command half done.
                    await handler.HandleAsync(activity, lifetime.ApplicationStopping).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Any failure is logged and answered 500; the bot goes on with the next activity.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    // Not forgotten by the duplicate check: the command may have been half done (a rule stored, its
                    // answer not sent), and handling a retry of it again could store it twice.
                    LogHandlerFailed(logger, activity.Type, id, exception);
                    response.StatusCode = StatusCodes.Status500InternalServerError;
                    return;
                }
            }
        }

        response.StatusCode = StatusCodes.Status200OK;
    }

    private void Reject(HttpContext context, int status, string reason)
    {
        LogRejected(logger, status, reason, context.Connection.RemoteIpAddress?.ToString());
        context.Response.StatusCode = status;
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(MediaTypeNames.Application.Json, StringComparison.OrdinalIgnoreCase)
        && (!parsed.Charset.HasValue || parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static string Truncate(string? value) => value is null ? "" : value.Length <= 80 ? value : value[..80] + "…";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a request to /api/messages with {Status}: {Reason} (from {RemoteIp})")]
    private static partial void LogRejected(ILogger logger, int status, string reason, string? remoteIp);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling activity {Type} {Id} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string? type, string? id, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Activity {Id} was already accepted; acknowledged without handling it again")]
    private static partial void LogDuplicate(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Activity addressed to {RecipientId}, not to this bot's 28:<app id>")]
    private static partial void LogUnexpectedRecipient(ILogger logger, string? recipientId);
}
