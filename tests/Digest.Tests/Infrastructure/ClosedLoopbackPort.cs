using System.Net;
using System.Net.Sockets;

namespace Digest.Tests.Infrastructure;

/// <summary>A loopback port where nothing listens: a connection to it is refused at once, as to a stopped emulator or an offline site.</summary>
public static class ClosedLoopbackPort
{
    /// <summary>A port the system just handed out and that was closed again, so no other test listens there.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The Azurite development account with its blob and table endpoints on a closed port.</summary>
    public static string StorageConnectionString()
    {
        var port = Next();
        return AzuriteProcess.ConnectionStringFor(port, port, port);
    }
}
