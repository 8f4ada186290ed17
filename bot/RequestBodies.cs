namespace Digest.Bot;

/// <summary>Reads a request body whole, under the size limit the endpoint set on the server for it.</summary>
internal static class RequestBodies
{
    /// <summary>The body's bytes; null when it is larger than the limit the server enforces (chunked bodies too).</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var body = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
        }
        catch (BadHttpRequestException exception) when (exception.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return body.ToArray();
    }
}
