using System.ComponentModel.DataAnnotations;

namespace Digest.FrontEnds.Slack;

/// <summary>The Slack front end's own settings, in the <c>Slack</c> section beside the platform's.</summary>
public sealed class SlackFrontEndOptions
{
    /// <summary>How long a slash command or a button may work before the request is answered with "working on it" and
    /// the reply follows through the <c>response_url</c>. Slack shows an error after 3 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:02.800")]
    public TimeSpan ReplyWithin { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>How long an event may stay "being handled" before a retry of it takes over (the first attempt crashed).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan EventLease { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a handled event's row is kept to recognise Slack's retries (which come within minutes) before
    /// <see cref="SlackEventLogPruner"/> deletes it, so the table does not grow for ever.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00")]
    public TimeSpan EventRetention { get; set; } = TimeSpan.FromDays(1);
}
