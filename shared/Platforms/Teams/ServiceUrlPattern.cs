using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Digest.Platforms.Teams;

/// <summary>One allowed service URL: scheme, host (optionally <c>*.</c> for subdomains only) and port.</summary>
public sealed record ServiceUrlPattern(string Scheme, string Host, bool Subdomains, int Port)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out ServiceUrlPattern? pattern, out string reason)
    {
        pattern = null;
        var wildcard = false;
        var candidate = text?.Trim() ?? "";
        var marker = candidate.IndexOf("://*.", StringComparison.Ordinal);
        if (marker > 0)
        {
            wildcard = true;
            candidate = string.Concat(candidate.AsSpan(0, marker + 3), candidate.AsSpan(marker + 5));
        }

        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            reason = "expected scheme://host[:port] with scheme http or https";
            return false;
        }

        if (uri.UserInfo.Length > 0)
        {
            reason = "user information is not allowed";
            return false;
        }

        if (wildcard && uri.HostNameType != UriHostNameType.Dns)
        {
            reason = "a wildcard needs a DNS name after '*.'";
            return false;
        }

        pattern = new ServiceUrlPattern(uri.Scheme, uri.IdnHost, wildcard, uri.Port);
        reason = "";
        return true;
    }

    public bool Matches(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!string.Equals(uri.Scheme, Scheme, StringComparison.OrdinalIgnoreCase) || uri.Port != Port)
        {
            return false;
        }

        var host = uri.IdnHost;
        return Subdomains
            ? host.Length > Host.Length + 1 && host.EndsWith("." + Host, StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, Host, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Decides whether a service URL may receive the bot's bearer token (docs/protocols.md §3.4).</summary>
public sealed class ServiceUrlPolicy
{
    private readonly ServiceUrlPattern[] _patterns;

    public ServiceUrlPolicy(IEnumerable<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        _patterns = [.. allowed.Select(text => ServiceUrlPattern.TryParse(text, out var pattern, out var reason)
            ? pattern
            : throw new ArgumentException($"Invalid service URL pattern '{text}': {reason}", nameof(allowed)))];
    }

    /// <summary>True when <paramref name="serviceUrl"/> is absolute, has no user information, and matches a pattern.</summary>
    public bool IsAllowed([NotNullWhen(true)] string? serviceUrl, [NotNullWhen(true)] out Uri? uri)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(serviceUrl)
            || !Uri.TryCreate(serviceUrl, UriKind.Absolute, out var parsed)
            || parsed.UserInfo.Length > 0
            || !string.IsNullOrEmpty(parsed.Query)
            || !string.IsNullOrEmpty(parsed.Fragment))
        {
            return false;
        }

        // An IP literal is only acceptable when it is listed exactly (loopback connectors in tests).
        foreach (var pattern in _patterns)
        {
            if (pattern.Matches(parsed) && (parsed.HostNameType == UriHostNameType.Dns || IPAddress.TryParse(pattern.Host.Trim('[', ']'), out _)))
            {
                uri = parsed;
                return true;
            }
        }

        return false;
    }
}
