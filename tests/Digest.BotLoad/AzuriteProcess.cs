using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Digest.BotLoad;

/// <summary>Azurite from the repository's node_modules on loopback with free ports and in-memory storage
/// (like the tests' fixture), unless DIGEST_TEST_STORAGE gives a connection string.</summary>
internal sealed partial class AzuriteProcess : IAsyncDisposable
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private Process? _process;

    public string ConnectionString { get; private set; } = "";

    public static async Task<AzuriteProcess> StartAsync(CancellationToken cancellationToken)
    {
        var azurite = new AzuriteProcess();
        if (Environment.GetEnvironmentVariable("DIGEST_TEST_STORAGE") is { Length: > 0 } given)
        {
            azurite.ConnectionString = given;
            return azurite;
        }

        var executable = FindAzurite();
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in (string[])["--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1", "--blobPort", "0", "--queuePort", "0", "--tablePort", "0"])
        {
            start.ArgumentList.Add(argument);
        }

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        azurite._process = new Process { StartInfo = start };
        azurite._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && Listening().Match(e.Data) is { Success: true } match)
            {
                lock (ports)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
                    if (ports.Count == 3)
                    {
                        listening.TrySetResult();
                    }
                }
            }
        };
        azurite._process.Start();
        azurite._process.BeginOutputReadLine();
        azurite._process.BeginErrorReadLine();
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        azurite.ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + AccountKey + ";" +
            $"BlobEndpoint=http://127.0.0.1:{ports["Blob"]}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{ports["Queue"]}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{ports["Table"]}/devstoreaccount1;";
        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private static string FindAzurite()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("Azurite is not installed: run 'npm ci' at the repository root, or set DIGEST_TEST_STORAGE.");
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial Regex Listening();
}
