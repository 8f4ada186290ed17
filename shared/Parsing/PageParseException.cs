namespace Digest.Parsing;

/// <summary>A page that cannot be read as any known format. The message says what was wrong and where.</summary>
public sealed class PageParseException : Exception
{
    public PageParseException()
    {
    }

    public PageParseException(string message)
        : base(message)
    {
    }

    public PageParseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
