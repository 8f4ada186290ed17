using System.Collections.Concurrent;
using Digest.Tests.Bot.Loopback;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Digest.Tests.Infrastructure;

/// <summary>
/// A loopback HTTP server standing in for huggingface.co: Kestrel on 127.0.0.1 with a port of its own. Each path
/// answers from a queue of scripted responses (the last one repeats), and every request is recorded with its headers.
/// </summary>
public sealed class LoopbackHuggingFace : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<RequestDelegate>> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RequestDelegate> _last = new(StringComparer.Ordinal);

    private WebApplication _app = null!;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<LoopbackHuggingFace> StartAsync(CancellationToken cancellationToken)
    {
        var server = new LoopbackHuggingFace();
        var (app, address) = await LoopbackServer.StartAsync(app => app.Run(server.HandleAsync), cancellationToken);
        server._app = app;
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    /// <summary>Scripts the next responses of a path (with query, e.g. <c>/papers/date/2026-03-13</c>).</summary>
    public void Respond(string pathAndQuery, params RequestDelegate[] responses)
    {
        var queue = _routes.GetOrAdd(pathAndQuery, _ => new ConcurrentQueue<RequestDelegate>());
        foreach (var response in responses)
        {
            queue.Enqueue(response);
        }
    }

    public int CountRequests(string pathAndQuery) => Requests.Count(request => request.PathAndQuery == pathAndQuery);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var pathAndQuery = context.Request.Path + context.Request.QueryString;
        Requests.Enqueue(new RecordedRequest(
            pathAndQuery,
            context.Request.Headers.UserAgent.ToString(),
            context.Request.Headers.IfNoneMatch.ToString(),
            context.Request.Headers.IfModifiedSince.ToString()));

        RequestDelegate? respond = null;
        if (_routes.TryGetValue(pathAndQuery, out var queue) && queue.TryDequeue(out var next))
        {
            respond = next;
            _last[pathAndQuery] = next;
        }
        else
        {
            _last.TryGetValue(pathAndQuery, out respond);
        }

        if (respond is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        await respond(context);
    }
}

public sealed record RecordedRequest(string PathAndQuery, string UserAgent, string IfNoneMatch, string IfModifiedSince);

/// <summary>Scripted answers that speak HTTP the way huggingface.co does.</summary>
public static class Answers
{
    public static RequestDelegate Page(byte[] body, string contentType = "text/html; charset=utf-8", string? etag = null) => async context =>
    {
        if (etag is not null)
        {
            if (context.Request.Headers.IfNoneMatch == etag)
            {
                context.Response.StatusCode = 304;
                context.Response.Headers.ETag = etag;
                return;
            }

            context.Response.Headers.ETag = etag;
        }

        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    };

    public static RequestDelegate Status(int status, string? retryAfter = null) => context =>
    {
        context.Response.StatusCode = status;
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return Task.CompletedTask;
    };

    /// <summary>Promises the whole body, sends part of it, then drops the connection.</summary>
    public static RequestDelegate Truncated(byte[] body) => async context =>
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body.AsMemory(0, body.Length / 3), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        context.Abort();
    };
}
