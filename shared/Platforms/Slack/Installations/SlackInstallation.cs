using System.Text.RegularExpressions;

namespace Digest.Platforms.Slack.Installations;

/// <summary>What is known of one installation of the app, without its tokens (they never leave the store).</summary>
/// <param name="InstallationId">The org for an org-wide (Enterprise Grid) install, else the workspace.</param>
/// <param name="TeamId">The workspace; absent for an org-wide install.</param>
/// <param name="TeamName">The workspace's name, as Slack gave it at install.</param>
/// <param name="EnterpriseId">The Enterprise Grid org, if any.</param>
/// <param name="EnterpriseName">The org's name, if any.</param>
/// <param name="IsEnterpriseInstall">Installed for the whole org rather than one workspace.</param>
/// <param name="AppId">The Slack app.</param>
/// <param name="BotUserId">The app's bot user in that workspace (to ignore its own messages).</param>
/// <param name="Scopes">The bot scopes granted, comma-separated.</param>
/// <param name="InstalledBy">The user who installed it.</param>
/// <param name="InstalledAt">When it was (last) installed.</param>
/// <param name="TokenExpiresAt">With token rotation: when the stored bot token expires.</param>
/// <param name="Revoked">Uninstalled or its tokens revoked: the tokens are deleted, the row is kept.</param>
/// <param name="RevokedAt">When it was revoked.</param>
public sealed record SlackInstallation(
    string InstallationId,
    string? TeamId,
    string? TeamName,
    string? EnterpriseId,
    string? EnterpriseName,
    bool IsEnterpriseInstall,
    string? AppId,
    string? BotUserId,
    string? Scopes,
    string? InstalledBy,
    DateTimeOffset InstalledAt,
    DateTimeOffset? TokenExpiresAt,
    bool Revoked,
    DateTimeOffset? RevokedAt)
{
    /// <summary>The workspace's name, or the org's for an org-wide install.</summary>
    public string DisplayName => (IsEnterpriseInstall ? EnterpriseName : TeamName) ?? InstallationId;
}

/// <summary>The table keys of an installation: one partition per workspace (<c>team-T…</c>) or org-wide install
/// (<c>enterprise-E…</c>), so a workspace and an org with the same id could never share a row.</summary>
internal static partial class SlackInstallationKeys
{
    public const string RowKey = "installation";

    public static string? Team(string? teamId) => IsSlackId(teamId) ? "team-" + teamId : null;

    public static string? Enterprise(string? enterpriseId) => IsSlackId(enterpriseId) ? "enterprise-" + enterpriseId : null;

    // Slack ids are letters and digits; anything else (a forged team_id with '/' or '#') names no row.
    private static bool IsSlackId(string? id) => id is not null && SlackId().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex SlackId();
}
