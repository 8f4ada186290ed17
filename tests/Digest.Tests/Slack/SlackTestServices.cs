using Digest.Platforms.Slack;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Digest.Tests.Slack;

/// <summary>The Slack platform registered the way a host registers it, over in-memory settings.</summary>
public static class SlackTestServices
{
    public const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";

    /// <summary>A fresh base64 key of 32 random bytes.</summary>
    public static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Settings of an OAuth (multi-workspace) Slack app; <paramref name="overrides"/> replace or add keys
    /// (a null value removes one).</summary>
    public static Dictionary<string, string?> OAuthSettings(params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Slack:SigningSecret"] = SigningSecret,
            ["Slack:ClientId"] = "1234567890.1234567890",
            ["Slack:ClientSecret"] = "loopback-client-secret",
            ["Slack:TokenEncryptionKey"] = NewKey(),
        };
        foreach (var (key, value) in overrides)
        {
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }

        return settings;
    }

    public static ServiceProvider Create(IReadOnlyDictionary<string, string?> settings, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddDigestSlackPlatform();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}
