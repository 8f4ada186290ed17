using System.Text.Json.Nodes;

namespace Digest.FrontEnds.Slack;

/// <summary>What an endpoint answers Slack: a status and an optional JSON body (an ephemeral reply, a challenge, a
/// modal's <c>response_action</c>).</summary>
public sealed record SlackAnswer(int Status, JsonObject? Body = null)
{
    public static SlackAnswer Ok { get; } = new(200);

    /// <summary>The request is signed but not one this app understands (a field missing, a payload not JSON).</summary>
    public static SlackAnswer BadRequest { get; } = new(400);

    public static SlackAnswer Json(JsonObject body) => new(200, body);
}
