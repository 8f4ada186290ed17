using Digest.Platforms.Teams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Digest.FrontEnds.Teams;

/// <summary>The front end's rule on top of the platform's: without <c>Bot:AppId</c> it would accept requests with no
/// token at all, which only a developer's machine may do (the Agents Playground).</summary>
public sealed class TeamsFrontEndOptionsValidator(IHostEnvironment environment) : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AuthenticationDisabled && !environment.IsDevelopment()
            ? ValidateOptionsResult.Fail($"Bot:AppId is required (the bot's Microsoft App ID, a GUID). Running without it is allowed only in the Development environment; this is '{environment.EnvironmentName}'.")
            : ValidateOptionsResult.Success;
    }
}
