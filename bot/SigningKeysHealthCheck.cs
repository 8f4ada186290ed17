using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Authentication;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Digest.Bot;

/// <summary>Readiness of token validation: the OpenID signing keys of every trusted issuer have been fetched. The
/// probe fetches them when they are not cached, so a bot becomes ready as soon as the metadata endpoints answer,
/// before its first request needs them; afterwards it costs nothing until the keys are due for refresh.</summary>
public sealed class SigningKeysHealthCheck(BotTokenValidator validator, IOptions<BotOptions> options) : IHealthCheck
{
    public const string Name = "signing-keys";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (options.Value.AuthenticationDisabled)
        {
            return HealthCheckResult.Healthy("Authentication is disabled (Development): no keys are needed.");
        }

        try
        {
            await validator.LoadKeysAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (SecurityTokenException exception)
        {
            return HealthCheckResult.Unhealthy("The signing keys could not be fetched.", exception);
        }
    }
}
