using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Digest.FrontEnds.Slack;
using Digest.Platforms.Slack;
using Digest.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Digest.Bot;

/// <summary>The native Slack app's endpoints (bot-protocol.md §5.2): each request is checked in order — POST, size,
/// the unsigned <c>ssl_check</c> (200 and nothing else), the signature over the raw body (HMAC-SHA256, five minutes
/// either way, replays refused: 401), the body's form (400) — and then handed to the front end's handler.</summary>
public sealed partial class SlackEndpoints(
    IOptions<SlackOptions> options,
    SlackRequestVerifier verifier,
    SlackCommandHandler commands,
    SlackEventHandler events,
    SlackInteractionHandler interactions,
    DigestMetrics metrics,
    RequestWorkLimiter limiter,
    ILogger<SlackEndpoints> logger)
{
    public const string CommandsPath = "/api/slack/commands";
    public const string EventsPath = "/api/slack/events";
    public const string InteractionsPath = "/api/slack/interactions";

    private const string FormContentType = "application/x-www-form-urlencoded";
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private readonly int _maxBodyBytes = options.Value.MaxRequestBodyBytes;

    public Task CommandsAsync(HttpContext context) => HandleAsync(context, FormContentType, async (body, cancellationToken) =>
        SlackForm.TryParse(body) is { } form ? await commands.HandleAsync(form, cancellationToken).ConfigureAwait(false) : SlackAnswer.BadRequest);

    public Task EventsAsync(HttpContext context) => HandleAsync(context, "application/json", async (body, cancellationToken) =>
        ReadJsonObject(body) is { } envelope
            ? await events.HandleAsync(envelope, RetryNumber(context.Request.Headers["X-Slack-Retry-Num"]), cancellationToken).ConfigureAwait(false)
            : SlackAnswer.BadRequest);

    public Task InteractionsAsync(HttpContext context) => HandleAsync(context, FormContentType, async (body, cancellationToken) =>
        SlackForm.TryParse(body) is { } form && form.TryGetValue("payload", out var payload) && ReadJsonObject(System.Text.Encoding.UTF8.GetBytes(payload)) is { } json
            ? await interactions.HandleAsync(json, cancellationToken).ConfigureAwait(false)
            : SlackAnswer.BadRequest);

    private async Task HandleAsync(HttpContext context, string contentType, Func<byte[], CancellationToken, Task<SlackAnswer>> handle)
    {
        var answered = false;
        try
        {
            await HandleRequestAsync(context, contentType, handle).ConfigureAwait(false);
            answered = true;
        }
        finally
        {
            var status = answered || context.Response.HasStarted ? context.Response.StatusCode
                : context.RequestAborted.IsCancellationRequested ? StatusCodes.Status499ClientClosedRequest
                : StatusCodes.Status500InternalServerError;
            metrics.BotRequest(TelemetryPlatforms.Slack, status);
        }
    }

    private async Task HandleRequestAsync(HttpContext context, string contentType, Func<byte[], CancellationToken, Task<SlackAnswer>> handle)
    {
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.Headers.Allow = "POST";
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }

        if (request.ContentLength > _maxBodyBytes)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        // The server counts the bytes as they are read, chunked bodies too.
        context.Features.GetRequiredFeature<IHttpMaxRequestBodySizeFeature>().MaxRequestBodySize = _maxBodyBytes;
        var body = await RequestBodies.ReadAsync(request, context.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        // Slack checks the certificate with an unsigned form post: answer 200 and read nothing else of it, so no
        // command or event can ride along unsigned (bolt-js strips such smuggled payloads the same way).
        if (IsForm(request.ContentType) && SlackForm.TryParse(body) is { } probe && probe.GetValueOrDefault("ssl_check") == "1")
        {
            response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        var check = verifier.Verify(request.Headers[SlackRequestVerifier.TimestampHeader], request.Headers[SlackRequestVerifier.SignatureHeader], body);
        if (check != SlackSignatureCheck.Valid)
        {
            LogRejected(logger, request.Path, check, context.Connection.RemoteIpAddress?.ToString());
            response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var media) || !media.MediaType.Equals(contentType, StringComparison.OrdinalIgnoreCase))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var turn = await limiter.EnterAsync(context.RequestAborted).ConfigureAwait(false);
        if (turn is null)
        {
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = "1";
            return;
        }

        var answer = await handle(body, context.RequestAborted).ConfigureAwait(false);
        response.StatusCode = answer.Status;
        if (answer.Body is { } json)
        {
            response.ContentType = "application/json; charset=utf-8";
            await using (var writer = new Utf8JsonWriter(response.BodyWriter))
            {
                json.WriteTo(writer);
            }

            await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool IsForm(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals(FormContentType, StringComparison.OrdinalIgnoreCase);

    private static JsonObject? ReadJsonObject(byte[] utf8)
    {
        try
        {
            // Count makes the object read its properties now, so a duplicate name fails here and not in a handler.
            return JsonNode.Parse(utf8, NodeOptions, DocumentOptions) is JsonObject json && json.Count >= 0 ? json : null;
        }
        catch (Exception exception) when (exception is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static int? RetryNumber(string? header) =>
        int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a request to {Path} with 401: {Check} (from {RemoteIp})")]
    private static partial void LogRejected(ILogger logger, string path, SlackSignatureCheck check, string? remoteIp);
}
