using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Digest.Tests.Bot.Loopback;

/// <summary>One request the bot sent to the connector.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="RawTarget">The path and query exactly as sent (escaping visible).</param>
/// <param name="Authorization">The Authorization header, if any.</param>
/// <param name="Body">The JSON body.</param>
/// <param name="ContentLength">The Content-Length header; null for a chunked body.</param>
public sealed record ConnectorRequest(string Method, string RawTarget, string? Authorization, string Body, long? ContentLength = null)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    /// <summary>True for <c>POST v3/conversations</c> (create a conversation, or a new post in a Teams channel).</summary>
    public bool CreatesConversation => Method == "POST" && RawTarget.EndsWith("/v3/conversations", StringComparison.Ordinal);

    /// <summary>The activity sent: the body, or for <see cref="CreatesConversation"/> the body's <c>activity</c>.</summary>
    public JsonObject Activity => CreatesConversation ? Json["activity"]?.AsObject() ?? [] : Json;

    /// <summary>The first attachment's card, when the activity carries one.</summary>
    public JsonObject? Card => Activity["attachments"]?[0]?["content"]?.AsObject();

    public string? Text => (string?)Activity["text"];
}

/// <summary>How the connector answers one request to a scripted conversation: a status (with an <c>error.code</c>
/// and a <c>Retry-After</c>, or a raw body), or no answer at all until the caller gives up.</summary>
public sealed record ConnectorAnswer(int Status, string? ErrorCode = null, string? RetryAfter = null, bool Hangs = false, string? RawBody = null)
{
    /// <summary>Holds the request open without a byte of answer, as a connector that never answers would.</summary>
    public static ConnectorAnswer NoAnswer { get; } = new(0, Hangs: true);

    public static ConnectorAnswer Fail(int status, string? errorCode = null, string? retryAfter = null) => new(status, errorCode, retryAfter);

    internal string? Body => RawBody ?? (ErrorCode is null ? null : new JsonObject { ["error"] = new JsonObject { ["code"] = ErrorCode, ["message"] = ErrorCode } }.ToJsonString());
}

/// <summary>A loopback Bot Connector: answers the v3 conversation routes with the real response shapes and records
/// every request (path, bearer token, activity JSON), and separately the ones it accepted (answered 2xx). Failures
/// can be queued for the next requests, or scripted per conversation, to test retries and terminal errors. A load
/// benchmark's connector only counts (<c>countOnly</c>): kept, 10,000 replies would be the benchmark's garbage collector's
/// work, not the bot's.</summary>
public sealed class LoopbackConnector : IAsyncDisposable
{
    private readonly RequestQueue<ConnectorRequest> _requests = new("loopback connector");
    private readonly ConcurrentQueue<ConnectorRequest> _all = new();
    private readonly ConcurrentQueue<ConnectorRequest> _accepted = new();
    private readonly ConcurrentQueue<ConnectorAnswer> _planned = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ConnectorAnswer>> _scripts = new(StringComparer.Ordinal);
    private (int Accepted, Action OnArrival)? _stopAfter;
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private bool _countOnly;
    private int _nextId;
    private int _arrived;
    private int _acceptedCount;

    /// <summary>The service URL to put in activities (with a path, like Teams' regional ones, and a trailing slash).</summary>
    public string ServiceUrl { get; private set; } = "";

    /// <summary>The pattern for Bot:AllowedServiceUrls.</summary>
    public string AllowedPattern { get; private set; } = "";

    /// <summary>Every request that arrived, whatever it was answered.</summary>
    public IReadOnlyCollection<ConnectorRequest> All => _all;

    /// <summary>The requests answered with success: what was delivered.</summary>
    public IReadOnlyCollection<ConnectorRequest> Accepted => _accepted;

    /// <summary>How many requests arrived (kept or not).</summary>
    public int ArrivedCount => Volatile.Read(ref _arrived);

    public static async Task<LoopbackConnector> StartAsync(CancellationToken cancellationToken, bool countOnly = false)
    {
        var connector = new LoopbackConnector { _countOnly = countOnly };
        var (app, address) = await LoopbackServer.StartAsync(connector.Map, cancellationToken);
        connector._app = app;
        connector.ServiceUrl = address + "/amer/";
        connector.AllowedPattern = address;
        return connector;
    }

    /// <summary>The next requests answer with these statuses (then back to success).</summary>
    public void PlanFailure(int status, string? errorCode = null, string? retryAfter = null) =>
        _planned.Enqueue(ConnectorAnswer.Fail(status, errorCode, retryAfter));

    /// <summary>The next requests to <paramref name="conversationId"/> get these answers, in order (then success).</summary>
    public void Script(string conversationId, params ConnectorAnswer[] answers)
    {
        var queue = _scripts.GetOrAdd(Uri.EscapeDataString(conversationId), _ => new ConcurrentQueue<ConnectorAnswer>());
        foreach (var answer in answers)
        {
            queue.Enqueue(answer);
        }
    }

    /// <summary>Once <paramref name="accepted"/> requests were accepted, the next one calls <paramref name="onArrival"/>
    /// (a test kills its run there) and is never answered: a host that dies mid-run, between two messages.</summary>
    public void StopAfterAccepted(int accepted, Action onArrival) => _stopAfter = (accepted, onArrival);

    /// <summary>Waits for the next request, at most 30 s.</summary>
    public Task<ConnectorRequest> NextAsync(CancellationToken cancellationToken) => _requests.NextAsync(cancellationToken);

    /// <summary>True when nothing else arrives within a short wait (used only to assert absence).</summary>
    public Task<bool> StaysQuietAsync(TimeSpan wait, CancellationToken cancellationToken) => _requests.StaysQuietAsync(wait, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private void Map(Microsoft.AspNetCore.Builder.WebApplication app) => app.Run(async context =>
    {
        var path = context.Request.Path.Value ?? "";
        var body = "";
        if (_countOnly && !path.EndsWith("/v3/conversations", StringComparison.Ordinal))
        {
            // Nothing keeps it, and only a new conversation's answer needs it.
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        }
        else
        {
            using var reader = new StreamReader(context.Request.Body);
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var request = new ConnectorRequest(context.Request.Method, rawTarget, context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null, body, context.Request.ContentLength);
        Interlocked.Increment(ref _arrived);
        if (!_countOnly)
        {
            _all.Enqueue(request);
            _requests.Add(request);
        }

        context.Response.Headers["X-Correlating-OperationId"] = Guid.NewGuid().ToString("N");
        if (_stopAfter is { } stop && Volatile.Read(ref _acceptedCount) >= stop.Accepted)
        {
            _stopAfter = null;
            stop.OnArrival();
            await HangAsync(context);
            return;
        }

        var scripted = _scripts.FirstOrDefault(script => rawTarget.Contains(script.Key, StringComparison.Ordinal)).Value;
        if ((scripted is not null && scripted.TryDequeue(out var planned)) || _planned.TryDequeue(out planned))
        {
            if (planned.Hangs)
            {
                await HangAsync(context);
                return;
            }

            context.Response.StatusCode = planned.Status;
            if (planned.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = planned.RetryAfter;
            }

            if (planned.Body is not null)
            {
                context.Response.ContentType = "application/json; charset=utf-8";
                await context.Response.WriteAsync(planned.Body, context.RequestAborted);
            }

            return;
        }

        if (!path.Contains("/v3/conversations", StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var id = Interlocked.Increment(ref _nextId);
        JsonObject answer;
        if (path.EndsWith("/v3/conversations", StringComparison.Ordinal))
        {
            // A new post in a Teams channel becomes the conversation "{channel};messageid={the post's activity id}".
            var channel = (string?)JsonNode.Parse(body)?["channelData"]?["channel"]?["id"];
            answer = channel is null
                ? new JsonObject { ["id"] = $"a:created-{id}", ["activityId"] = $"{id}" }
                : new JsonObject { ["id"] = $"{channel};messageid={id}", ["activityId"] = $"{id}" };
        }
        else
        {
            answer = new JsonObject { ["id"] = $"activity-{id}" };
        }

        context.Response.StatusCode = context.Request.Method == HttpMethods.Post ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        // From here on the message is posted, whether or not the answer reaches the bot.
        Interlocked.Increment(ref _acceptedCount);
        if (!_countOnly)
        {
            _accepted.Enqueue(request);
        }

        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
    });

    // Until the client gives up (its timeout or cancellation closes the connection) or the server stops.
    private static async Task HangAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // the client went away: nothing was delivered
        }
    }
}
