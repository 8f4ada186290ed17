using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Digest.Tests.Slack.Loopback;

/// <summary>Sends requests to the bot's Slack endpoints the way Slack does: form or JSON bodies, signed with
/// <c>v0=HMAC-SHA256(secret, "v0:{timestamp}:{body}")</c> over the exact bytes sent (implemented here on its own, not
/// with the code under test). Unsigned and forged requests too, for the hostile-input tests.</summary>
public sealed class SlackTestClient(HttpClient client, string signingSecret, TimeProvider? time = null)
{
    public const string CommandsPath = "api/slack/commands";
    public const string EventsPath = "api/slack/events";
    public const string InteractionsPath = "api/slack/interactions";
    public const string FormContentType = "application/x-www-form-urlencoded";
    public const string JsonContentType = "application/json";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The current Unix time in seconds, as Slack puts it in <c>X-Slack-Request-Timestamp</c>.</summary>
    public string Now() => _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public static string Sign(string secret, string timestamp, byte[] body)
    {
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var hash = hmac.ComputeHash([.. Encoding.ASCII.GetBytes($"v0:{timestamp}:"), .. body]);
        return "v0=" + Convert.ToHexStringLower(hash);
    }

    public string Sign(string timestamp, byte[] body) => Sign(signingSecret, timestamp, body);

    /// <summary>A form body, each field encoded as Slack encodes it.</summary>
    public static string Form(params (string Name, string? Value)[] fields) =>
        string.Join('&', fields.Where(field => field.Value is not null).Select(field => Uri.EscapeDataString(field.Name) + "=" + Uri.EscapeDataString(field.Value!)));

    /// <summary>A slash command <c>/digest {text}</c>.</summary>
    public Task<HttpResponseMessage> CommandAsync(string team, string channel, string user, string text, string? responseUrl, CancellationToken cancellationToken, string? enterprise = null) =>
        SignedAsync(CommandsPath, Form(
            ("token", "deprecated-verification-token"), ("team_id", team), ("team_domain", "loopback"), ("enterprise_id", enterprise),
            ("channel_id", channel), ("channel_name", channel.StartsWith('D') ? "directmessage" : "general"), ("user_id", user), ("user_name", "someone"),
            ("command", "/digest"), ("text", text), ("response_url", responseUrl), ("trigger_id", "13345224609.738474920.8088930838d88f008e0"),
            ("api_app_id", "A0APP")), FormContentType, cancellationToken);

    /// <summary>An Events API request, with <c>X-Slack-Retry-Num</c> when it is a retry.</summary>
    public Task<HttpResponseMessage> EventAsync(JsonObject envelope, CancellationToken cancellationToken, int? retryNumber = null)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return SignedAsync(EventsPath, envelope.ToJsonString(), JsonContentType, cancellationToken,
            retryNumber is { } number ? [("X-Slack-Retry-Num", number.ToString(CultureInfo.InvariantCulture)), ("X-Slack-Retry-Reason", "http_timeout")] : []);
    }

    /// <summary>An interaction: the form field <c>payload</c> holding the JSON.</summary>
    public Task<HttpResponseMessage> InteractionAsync(JsonObject payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return SignedAsync(InteractionsPath, Form(("payload", payload.ToJsonString())), FormContentType, cancellationToken);
    }

    public Task<HttpResponseMessage> SignedAsync(string path, string body, string contentType, CancellationToken cancellationToken, IReadOnlyList<(string Name, string Value)>? headers = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = Now();
        return SendAsync(path, bytes, contentType, timestamp, Sign(timestamp, bytes), cancellationToken, headers);
    }

    /// <summary>Any request: the given timestamp and signature headers (none when null), as they are.</summary>
    public async Task<HttpResponseMessage> SendAsync(string path, byte[] body, string contentType, string? timestamp, string? signature, CancellationToken cancellationToken,
        IReadOnlyList<(string Name, string Value)>? headers = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (timestamp is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Slack-Request-Timestamp", timestamp);
        }

        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Slack-Signature", signature);
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await client.SendAsync(request, cancellationToken);
    }
}
