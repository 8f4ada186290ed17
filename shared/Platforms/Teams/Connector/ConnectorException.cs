namespace Digest.Platforms.Teams.Connector;

/// <summary>What a failed connector call means for the caller (docs/protocols.md §3.5).</summary>
public enum ConnectorFailure
{
    /// <summary>The service URL is not allow-listed: nothing was sent.</summary>
    ServiceUrlRefused,

    /// <summary>400 or 413: the payload is wrong or too big; retrying the same request cannot help.</summary>
    BadRequest,

    /// <summary>401 or no token: the bot's own credentials are wrong. Alert, pause sending.</summary>
    Unauthorized,

    /// <summary>403 or 404 (not an activity): the bot was removed, blocked, or the conversation is gone. Deactivate.</summary>
    ConversationGone,

    /// <summary>404 <c>ActivityNotFoundInConversation</c>: the activity to update is gone; the conversation is fine.</summary>
    ActivityNotFound,

    /// <summary>412, 429, 502, 503, 504 or a network error, still failing after the retries.</summary>
    Transient,

    /// <summary>500 and anything else unexpected: not retried (the Teams table says so).</summary>
    ServerError,
}

/// <summary>A classified failure of a Bot Connector call.</summary>
public sealed class ConnectorException : Exception
{
    public ConnectorException()
    {
    }

    public ConnectorException(string message)
        : base(message)
    {
    }

    public ConnectorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ConnectorException(ConnectorFailure failure, int? statusCode, string? errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    public ConnectorFailure Failure { get; }

    public int? StatusCode { get; }

    /// <summary>The connector's <c>error.code</c>, when the body carried one.</summary>
    public string? ErrorCode { get; }

    /// <summary>True when the conversation should be deactivated (its data kept).</summary>
    public bool IsTerminalForConversation => Failure == ConnectorFailure.ConversationGone;
}
