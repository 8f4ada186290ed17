namespace Digest.Platforms.Slack;

/// <summary>What a failed Slack call means for the caller. Each <c>ok:false</c> error Slack documents for the methods
/// we call maps to one of these in <see cref="SlackErrors.Classify"/>; anything unknown is <see cref="Fatal"/>.</summary>
public enum SlackErrorKind
{
    /// <summary>Slack is busy or broke (<c>ratelimited</c>, <c>internal_error</c>, <c>fatal_error</c>,
    /// <c>service_unavailable</c>, <c>request_timeout</c>, 429, 5xx, timeouts, broken connections), still failing after
    /// the retries: the same request can succeed later. <see cref="SlackApiException.RetryAfter"/> says when, if known.</summary>
    Retry,

    /// <summary><c>token_expired</c>: a rotating token's access token ran out; refresh it (oauth.v2.access with
    /// <c>grant_type=refresh_token</c>) and call again.</summary>
    RefreshToken,

    /// <summary>The channel cannot receive the app's messages any more (<c>channel_not_found</c>, <c>not_in_channel</c>,
    /// <c>is_archived</c>): deactivate the subscriptions of that channel, keep their data. It takes a person to fix
    /// (unarchive, invite the app), and they can resume then.</summary>
    DeactivateChannel,

    /// <summary>The workspace's installation is gone (<c>token_revoked</c>, <c>account_inactive</c>,
    /// <c>app_uninstalled</c>): deactivate every subscription of the team and forget its tokens.</summary>
    DeactivateInstallation,

    /// <summary>The token was not accepted (<c>invalid_auth</c>, <c>not_authed</c>): not by itself proof the install is
    /// gone (an IP allow-list or a wrong <c>Slack:BotToken</c> also cause it), so stop sending with that token and alert,
    /// as a 401 from the Bot Connector does, rather than deactivate subscriptions.</summary>
    Unauthorized,

    /// <summary>The request itself is wrong or not allowed (<c>invalid_blocks</c>, <c>msg_too_long</c>,
    /// <c>missing_scope</c>, <c>no_permission</c>, <c>restricted_action</c>, an unknown error, a refused
    /// <c>response_url</c>…): sending the same request again fails the same way. Keep the subscription (an admin can
    /// lift a restriction), log, and do not retry this request.</summary>
    Fatal,
}

/// <summary>A classified failure of a Slack Web API or <c>response_url</c> call. Never carries a token.</summary>
public sealed class SlackApiException : Exception
{
    public SlackApiException()
    {
    }

    public SlackApiException(string message)
        : base(message)
    {
    }

    public SlackApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SlackApiException(SlackErrorKind kind, string method, string error, int? statusCode, TimeSpan? retryAfter, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        Method = method;
        Error = error;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public SlackErrorKind Kind { get; }

    /// <summary>The Web API method (<c>chat.postMessage</c>) or <c>response_url</c>.</summary>
    public string Method { get; } = "";

    /// <summary>Slack's <c>error</c> string, or ours (<c>http_503</c>, <c>timeout</c>, <c>response_url_refused</c>…).</summary>
    public string Error { get; } = "";

    public int? StatusCode { get; }

    /// <summary>How long Slack asked to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>Slack's <c>ok:false</c> error strings, classified.</summary>
public static class SlackErrors
{
    /// <summary>What an <c>error</c> string means; see <see cref="SlackErrorKind"/> for why each is where it is.</summary>
    public static SlackErrorKind Classify(string? error) => error switch
    {
        "ratelimited" or "rate_limited" or "internal_error" or "fatal_error" or "service_unavailable" or "request_timeout" or "team_added_to_org" => SlackErrorKind.Retry,
        "token_expired" => SlackErrorKind.RefreshToken,
        "channel_not_found" or "not_in_channel" or "is_archived" => SlackErrorKind.DeactivateChannel,
        "token_revoked" or "account_inactive" or "app_uninstalled" => SlackErrorKind.DeactivateInstallation,
        "invalid_auth" or "not_authed" => SlackErrorKind.Unauthorized,
        _ => SlackErrorKind.Fatal,
    };
}
