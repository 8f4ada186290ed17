namespace Digest.Tests.Cli;

/// <summary>
/// The command line writes to <see cref="Console"/> and Spectre's static <c>AnsiConsole</c>, and the hosts' console loggers
/// take <see cref="Console.Out"/> when they are built: process-wide state, so these tests run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsoleCollection
{
    public const string Name = "Console and hosts";
}
