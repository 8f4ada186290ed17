using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Digest.Storage;

/// <summary>Nothing listens at the storage endpoint (Azurite stopped, a wrong port or host): no request can succeed.</summary>
public sealed class StorageUnreachableException(Uri endpoint, Exception innerException)
    : Exception($"Connection to {endpoint.GetLeftPart(UriPartial.Authority)} refused.", innerException)
{
    /// <summary>The service the request went to (scheme, host and port: no path, no query, no signature).</summary>
    public Uri Endpoint { get; } = new(endpoint.GetLeftPart(UriPartial.Authority));
}

/// <summary>
/// Turns a refused connection into a <see cref="StorageUnreachableException"/>, which the SDK's retry policy does not
/// retry: a command line then says at once that storage is down instead of after seconds of retries. Sits inside the
/// retry loop (<see cref="HttpPipelinePosition.PerRetry"/>), where the transport's failure arrives.
/// </summary>
internal sealed class RefusedConnectionPolicy : HttpPipelinePolicy
{
    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (RequestFailedException e) when (IsRefused(e))
        {
            throw new StorageUnreachableException(message.Request.Uri.ToUri(), e);
        }
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (IsRefused(e))
        {
            throw new StorageUnreachableException(message.Request.Uri.ToUri(), e);
        }
    }

    private static bool IsRefused(RequestFailedException failure)
    {
        for (Exception? inner = failure; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }
}
