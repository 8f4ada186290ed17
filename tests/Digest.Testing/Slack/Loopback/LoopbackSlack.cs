using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Digest.Tests.Bot.Loopback;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Digest.Tests.Slack.Loopback;

/// <summary>One request the app sent to the loopback Slack.</summary>
/// <param name="Path">The path: <c>/api/chat.postMessage</c>, or <c>/commands/…</c> for a response_url.</param>
/// <param name="Authorization">The Authorization header, if any.</param>
/// <param name="ContentType">The Content-Type header.</param>
/// <param name="Body">The body as sent.</param>
public sealed record SlackRequest(string Path, string? Authorization, string ContentType, string Body)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public IReadOnlyDictionary<string, string> Form =>
        Body.Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => Uri.UnescapeDataString(pair[0].Replace('+', ' ')), pair => Uri.UnescapeDataString(pair[1].Replace('+', ' ')), StringComparer.Ordinal);
}

/// <summary>A loopback Slack: the Web API under <c>/api/</c> with the real answer shapes (HTTP 200 with <c>ok</c>,
/// <c>ok:false</c> errors, 429 with <c>Retry-After</c>) and <c>response_url</c>s under <c>/commands/</c>, recording every
/// request. Answers can be planned per method to test retries and error classification.</summary>
public sealed class LoopbackSlack : IAsyncDisposable
{
    private readonly RequestQueue<SlackRequest> _requests = new("loopback Slack");
    private readonly ConcurrentQueue<SlackRequest> _all = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body, string? RetryAfter)>> _planned = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private int _nextTs;

    /// <summary>For <c>Slack:ApiBaseUrl</c>: <c>http://127.0.0.1:port/api/</c>.</summary>
    public Uri ApiBaseUrl { get; private set; } = null!;

    /// <summary>For <c>Slack:AllowedResponseUrls</c>: <c>http://127.0.0.1:port/commands/</c>.</summary>
    public string ResponseUrlPrefix { get; private set; } = "";

    public IReadOnlyCollection<SlackRequest> All => _all;

    public static async Task<LoopbackSlack> StartAsync(CancellationToken cancellationToken)
    {
        var slack = new LoopbackSlack();
        var (app, address) = await LoopbackServer.StartAsync(app => app.Run(slack.HandleAsync), cancellationToken);
        slack._app = app;
        slack.ApiBaseUrl = new Uri(address + "/api/");
        slack.ResponseUrlPrefix = address + "/commands/";
        return slack;
    }

    /// <summary>A response_url like the ones Slack puts in slash commands, on this server.</summary>
    public string NewResponseUrl() => ResponseUrlPrefix + "T1DC2JH3J/" + Guid.NewGuid().ToString("N");

    /// <summary>The next call of <paramref name="pathSuffix"/> (a method such as <c>chat.postMessage</c>, or
    /// <c>commands</c>) answers <c>ok:false</c> with this error (HTTP 200, as Slack does).</summary>
    public void PlanError(string pathSuffix, string error) =>
        Plan(pathSuffix, 200, new JsonObject { ["ok"] = false, ["error"] = error }.ToJsonString());

    /// <summary>The next call of <paramref name="pathSuffix"/> answers with this status and body.</summary>
    public void Plan(string pathSuffix, int status, string body = "", string? retryAfter = null) =>
        _planned.GetOrAdd(pathSuffix, _ => new()).Enqueue((status, body, retryAfter));

    public int Count(string pathSuffix) => _all.Count(request => request.Path.EndsWith(pathSuffix, StringComparison.Ordinal));

    /// <summary>The <c>chat.postMessage</c> calls, in order.</summary>
    public IReadOnlyList<SlackRequest> PostedMessages => Calls("/api/chat.postMessage");

    /// <summary>The <c>views.publish</c> calls (App Home tabs), in order.</summary>
    public IReadOnlyList<SlackRequest> PublishedViews => Calls("/api/views.publish");

    /// <summary>The <c>views.open</c> calls (modals), in order.</summary>
    public IReadOnlyList<SlackRequest> OpenedViews => Calls("/api/views.open");

    /// <summary>The posts to <c>response_url</c>s this server handed out (<see cref="NewResponseUrl"/>), in order.</summary>
    public IReadOnlyList<SlackRequest> ResponseUrlPosts => [.. _all.Where(request => request.Path.StartsWith("/commands/", StringComparison.Ordinal))];

    /// <summary>Waits until <paramref name="count"/> requests to <paramref name="path"/> (a path such as
    /// <c>/api/views.publish</c>, or <c>/commands/</c> for response_urls) have arrived, at most 30 s; returns them.</summary>
    public async Task<IReadOnlyList<SlackRequest>> WaitForAsync(string path, int count, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var calls = _all.Where(request => request.Path.StartsWith(path, StringComparison.Ordinal)).ToList();
            if (calls.Count >= count)
            {
                return calls;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The loopback Slack got {calls.Count} of {count} calls to {path} within 30 s.");
            }
        }
    }

    private List<SlackRequest> Calls(string path) => [.. _all.Where(request => request.Path == path)];

    /// <summary>Waits for the next request, at most 30 s.</summary>
    public Task<SlackRequest> NextAsync(CancellationToken cancellationToken) => _requests.NextAsync(cancellationToken);

    /// <summary>True when nothing else arrives within a short wait (used only to assert absence).</summary>
    public Task<bool> StaysQuietAsync(TimeSpan wait, CancellationToken cancellationToken) => _requests.StaysQuietAsync(wait, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var path = context.Request.Path.Value ?? "";
        var request = new SlackRequest(path, context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
            context.Request.ContentType ?? "", body);
        _all.Enqueue(request);
        _requests.Add(request);

        var planned = _planned.FirstOrDefault(entry => path.EndsWith(entry.Key, StringComparison.Ordinal) || path.Contains("/" + entry.Key + "/", StringComparison.Ordinal));
        if (planned.Value is { } queue && queue.TryDequeue(out var answer))
        {
            context.Response.StatusCode = answer.Status;
            if (answer.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = answer.RetryAfter;
            }

            if (answer.Body.Length > 0)
            {
                context.Response.ContentType = answer.Body.StartsWith('{') ? "application/json; charset=utf-8" : "text/plain";
                await context.Response.WriteAsync(answer.Body, context.RequestAborted);
            }

            return;
        }

        if (path.StartsWith("/commands/", StringComparison.Ordinal))
        {
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("ok", context.RequestAborted);
            return;
        }

        var ts = $"1503435956.{Interlocked.Increment(ref _nextTs):D6}";
        JsonObject? json = path switch
        {
            "/api/chat.postMessage" => new JsonObject { ["ok"] = true, ["channel"] = (string?)JsonNode.Parse(body)?["channel"], ["ts"] = ts },
            "/api/views.publish" or "/api/views.open" => new JsonObject { ["ok"] = true, ["view"] = new JsonObject { ["id"] = "V" + ts.Replace(".", "", StringComparison.Ordinal), ["hash"] = ts } },
            "/api/auth.test" => new JsonObject
            {
                ["ok"] = true, ["url"] = "https://loopback.slack.com/", ["team"] = "Loopback", ["user"] = "digest",
                ["team_id"] = "T0LOOPBACK", ["user_id"] = "U0BOT", ["bot_id"] = "B0BOT", ["is_enterprise_install"] = false,
            },
            "/api/oauth.v2.access" => OAuthAnswer(body),
            _ => null,
        };
        if (json is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
    }

    // The real shapes: a fresh install answers with the team; a rotating install's refresh answers with a new pair.
    private static JsonObject OAuthAnswer(string body)
    {
        var form = new SlackRequest("", null, "", body).Form;
        if (form.TryGetValue("grant_type", out var grant) && grant == "refresh_token")
        {
            return new JsonObject
            {
                ["ok"] = true, ["access_token"] = "xoxe.xoxb-refreshed-" + form["refresh_token"], ["token_type"] = "bot",
                ["expires_in"] = 43200, ["refresh_token"] = "xoxe-1-next-" + form["refresh_token"],
                ["team"] = new JsonObject { ["id"] = "T0LOOPBACK", ["name"] = "Loopback" },
            };
        }

        var team = form.GetValueOrDefault("code", "") switch
        {
            var code when code.StartsWith("grid-", StringComparison.Ordinal) => null,
            var code => "T" + code.ToUpperInvariant(),
        };
        return new JsonObject
        {
            ["ok"] = true, ["access_token"] = "xoxb-" + form.GetValueOrDefault("code", ""), ["token_type"] = "bot",
            ["scope"] = "commands,chat:write", ["bot_user_id"] = "U0BOT", ["app_id"] = "A0APP",
            ["team"] = team is null ? null : new JsonObject { ["id"] = team, ["name"] = "Team " + team },
            ["enterprise"] = team is null ? new JsonObject { ["id"] = "E0GRID", ["name"] = "Grid" } : null,
            ["authed_user"] = new JsonObject { ["id"] = "U0INSTALLER" },
            ["is_enterprise_install"] = team is null,
            ["expires_in"] = 43200, ["refresh_token"] = "xoxe-1-" + form.GetValueOrDefault("code", ""),
        };
    }
}
