using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Digest.Tests.Bot.Loopback;

/// <summary>One request the bot sent to the connector.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="RawTarget">The path and query exactly as sent (escaping visible).</param>
/// <param name="Authorization">The Authorization header, if any.</param>
/// <param name="Body">The JSON body.</param>
public sealed record ConnectorRequest(string Method, string RawTarget, string? Authorization, string Body)
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

/// <summary>A loopback Bot Connector: answers the v3 conversation routes with the real response shapes and records
/// every request (path, bearer token, activity JSON). Failures can be queued to test retries and terminal errors.</summary>
public sealed class LoopbackConnector : IAsyncDisposable
{
    private readonly Channel<ConnectorRequest> _requests = Channel.CreateUnbounded<ConnectorRequest>();
    private readonly ConcurrentQueue<ConnectorRequest> _all = new();
    private readonly ConcurrentQueue<(int Status, string? Body, string? RetryAfter)> _planned = new();
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private int _nextId;

    /// <summary>The service URL to put in activities (with a path, like Teams' regional ones, and a trailing slash).</summary>
    public string ServiceUrl { get; private set; } = "";

    /// <summary>The pattern for Bot:AllowedServiceUrls.</summary>
    public string AllowedPattern { get; private set; } = "";

    public IReadOnlyCollection<ConnectorRequest> All => _all;

    public static async Task<LoopbackConnector> StartAsync(CancellationToken cancellationToken)
    {
        var connector = new LoopbackConnector();
        var (app, address) = await LoopbackServer.StartAsync(connector.Map, cancellationToken);
        connector._app = app;
        connector.ServiceUrl = address + "/amer/";
        connector.AllowedPattern = address;
        return connector;
    }

    /// <summary>The next requests answer with these statuses (then back to success).</summary>
    public void PlanFailure(int status, string? errorCode = null, string? retryAfter = null) =>
        _planned.Enqueue((status, errorCode is null ? null : new JsonObject { ["error"] = new JsonObject { ["code"] = errorCode, ["message"] = errorCode } }.ToJsonString(), retryAfter));

    /// <summary>Waits for the next request the bot sends.</summary>
    public async Task<ConnectorRequest> NextAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            return await _requests.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("The bot sent nothing to the connector within 30 s.");
        }
    }

    /// <summary>True when nothing else arrives within a short wait (used only to assert absence after an ack).</summary>
    public async Task<bool> StaysQuietAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            await _requests.Reader.WaitToReadAsync(timeout.Token);
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private void Map(Microsoft.AspNetCore.Builder.WebApplication app) => app.Run(async context =>
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var request = new ConnectorRequest(context.Request.Method, rawTarget, context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null, body);
        _all.Enqueue(request);
        _requests.Writer.TryWrite(request);

        context.Response.Headers["X-Correlating-OperationId"] = Guid.NewGuid().ToString("N");
        if (_planned.TryDequeue(out var planned))
        {
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

        var path = context.Request.Path.Value ?? "";
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
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted);
    });
}
