using Digest.Platforms.Teams;
using Digest.Platforms.Teams.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Digest.FrontEnds.Teams;

/// <summary>The front end's rules on top of the platform's: without <c>Bot:AppId</c> it would accept requests with no
/// token at all, which only a developer's machine may do (the Agents Playground); with it, tokens are checked against
/// keys that must be re-read in the request that meets a rolled-over key (<see cref="OpenIdKeySource.BlockingRefreshSwitch"/>).</summary>
public sealed class TeamsFrontEndOptionsValidator(IHostEnvironment environment) : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AuthenticationDisabled)
        {
            return environment.IsDevelopment()
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"Bot:AppId is required (the bot's Microsoft App ID, a GUID). Running without it is allowed only in the Development environment; this is '{environment.EnvironmentName}'.");
        }

        return AppContext.TryGetSwitch(OpenIdKeySource.BlockingRefreshSwitch, out var blocking) && blocking
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"The AppContext switch {OpenIdKeySource.BlockingRefreshSwitch} must be on in the program that checks Teams tokens (Directory.Build.props sets it for every program in this repository), or a token signed with a rolled-over key is refused.");
    }
}
