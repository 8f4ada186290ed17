using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Digest.Bot;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Digest.Tests.Bot.Loopback;

/// <summary>The real bot (Program's wiring) on Kestrel at 127.0.0.1, configured against a loopback identity
/// provider, a loopback connector and a storage account, with token validation on.</summary>
public sealed class BotTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BotTestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The configuration a test host gets; tests may change or remove keys before starting.</summary>
    public static Dictionary<string, string?> Configuration(TestIdentityProvider identity, LoopbackConnector connector, string storageConnectionString)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(connector);
        var suffix = Guid.NewGuid().ToString("N")[..12];
        return new(StringComparer.OrdinalIgnoreCase)
        {
            ["Bot:AppId"] = identity.AppId,
            ["Bot:TenantId"] = identity.TenantId,
            ["Bot:AppType"] = "SingleTenant",
            ["Bot:AppPassword"] = TestIdentityProvider.ClientSecret,
            ["Bot:OpenIdMetadataUrls:BotFramework"] = identity.BotFrameworkMetadataUrl.ToString(),
            ["Bot:OpenIdMetadataUrls:Entra"] = identity.EntraMetadataUrlTemplate,
            ["Bot:TokenEndpoint"] = identity.TokenEndpoint.ToString(),
            ["Bot:AllowedServiceUrls:0"] = "https://smba.trafficmanager.net",
            ["Bot:AllowedServiceUrls:1"] = connector.AllowedPattern,
            ["Storage:ConnectionString"] = storageConnectionString,
            ["Storage:NamePrefix"] = "t" + suffix,
        };
    }

    public static async Task<BotTestHost> StartAsync(
        IReadOnlyDictionary<string, string?> configuration,
        CancellationToken cancellationToken,
        string environment = "Production",
        Action<IServiceCollection>? configureServices = null,
        LogLevel minimumLogLevel = LogLevel.Warning)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ApplicationName = typeof(MessagesEndpoint).Assembly.GetName().Name,
            Args = LoopbackServer.NoFileWatchers,
        });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(minimumLogLevel);
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.AddDigestBot();
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDigestBot();
        await app.StartAsync(cancellationToken);
        return new BotTestHost(app, new Uri(LoopbackServer.AddressOf(app) + "/"));
    }

    /// <summary>POSTs an activity to /api/messages with a bearer token (none when null).</summary>
    public async Task<HttpResponseMessage> PostAsync(string json, string? token, CancellationToken cancellationToken, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/messages") { Content = new StringContent(json, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        return await Client.SendAsync(request, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
