using System.Net;
using System.Net.Sockets;

namespace Digest.Tests.Infrastructure;

/// <summary>
/// A loopback port that stands for a storage endpoint which is not there yet: until <see cref="Open"/> the port is
/// bound but not listening, so every connection is refused (as when the emulator or the account is down); after it,
/// each connection is relayed byte for byte to the real endpoint. The shared Azurite is never stopped.
/// </summary>
public sealed class LoopbackRelay : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly DnsEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private Task _accepting = Task.CompletedTask;

    private LoopbackRelay(Uri target)
    {
        _target = new DnsEndPoint(target.Host, target.Port);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    /// <summary>The loopback port that refuses connections until <see cref="Open"/>.</summary>
    public int Port { get; }

    /// <summary>A relay for the host and port of <paramref name="target"/>, closed.</summary>
    public static LoopbackRelay To(Uri target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new LoopbackRelay(target);
    }

    /// <summary><paramref name="endpoint"/> with its host and port replaced by this relay's.</summary>
    public Uri Through(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return new UriBuilder(endpoint) { Host = IPAddress.Loopback.ToString(), Port = Port }.Uri;
    }

    /// <summary>Starts accepting: the endpoint is "there" from now on.</summary>
    public void Open()
    {
        _listener.Listen();
        _accepting = AcceptAsync(_stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(RelayAsync(client, cancellationToken));
            }
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken cancellationToken)
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await using var downstream = new NetworkStream(client, ownsSocket: true);
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await upstream.ConnectAsync(_target, connection.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return;
        }

        await using var up = new NetworkStream(upstream, ownsSocket: false);
        await Task.WhenAll(PumpAsync(downstream, up, connection), PumpAsync(up, downstream, connection));
    }

    // Either side closing ends the connection; the storage client opens a new one when it needs it.
    private static async Task PumpAsync(Stream from, Stream to, CancellationTokenSource connection)
    {
        try
        {
            await from.CopyToAsync(to, connection.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
            // The test ended or the other side hung up.
        }
        finally
        {
            await connection.CancelAsync();
        }
    }
}
