using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Digest.Tests.Bot.Loopback;

/// <summary>A Kestrel server on 127.0.0.1 with a free port, for the outside services the bot talks to.</summary>
public static class LoopbackServer
{
    /// <summary>Host arguments that stop the default appsettings sources from watching files: every watcher is an
    /// inotify instance, and the machine allows 128 per user for all the processes on it.</summary>
    public static string[] NoFileWatchers { get; } = ["--hostBuilder:reloadConfigOnChange=false"];

    /// <summary>Starts an app whose routes <paramref name="map"/> adds; returns it and its base address (no trailing slash).</summary>
    public static async Task<(WebApplication App, string BaseAddress)> StartAsync(Action<WebApplication> map, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder(NoFileWatchers);
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        map(app);
        await app.StartAsync(cancellationToken);
        return (app, AddressOf(app));
    }

    /// <summary>The address Kestrel actually bound (port 0 becomes a real port at start).</summary>
    public static string AddressOf(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.First().TrimEnd('/');
    }
}
