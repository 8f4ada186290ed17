using System.Text.RegularExpressions;
using Spectre.Console;

namespace Digest.Tests.Cli;

/// <summary>Redirects standard output, standard error and Spectre's console to strings for one test, and puts them back.</summary>
internal sealed partial class ConsoleCapture : IDisposable
{
    private readonly TextWriter _originalOut = Console.Out;
    private readonly TextWriter _originalError = Console.Error;
    private readonly IAnsiConsole _originalAnsi = AnsiConsole.Console;
    private readonly StringWriter _out = new(System.Globalization.CultureInfo.InvariantCulture);
    private readonly StringWriter _error = new(System.Globalization.CultureInfo.InvariantCulture);

    public ConsoleCapture()
    {
        // Loggers write from their own threads: every writer handed out is synchronized.
        Out = TextWriter.Synchronized(_out);
        Error = TextWriter.Synchronized(_error);
        Console.SetOut(Out);
        Console.SetError(Error);
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>What was written to standard output (Spectre included) so far.</summary>
    public string Output
    {
        get
        {
            lock (Out)
            {
                return _out.ToString();
            }
        }
    }

    public string ErrorOutput
    {
        get
        {
            lock (Error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>Standard output with every run of white space made one space, for messages a console may wrap.</summary>
    public string FlatOutput => Flatten(Output);

    public static string Flatten(string text) => WhiteSpace().Replace(text, " ");

    public void Dispose()
    {
        Console.SetOut(_originalOut);
        Console.SetError(_originalError);
        AnsiConsole.Console = _originalAnsi;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
