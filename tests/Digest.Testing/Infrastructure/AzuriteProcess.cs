using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Digest.Tests.Infrastructure;

/// <summary>Azurite from the repository's node_modules on loopback with free ports and in-memory storage (or, for a
/// benchmark larger than its memory holds, storage in a temporary folder), stopped and removed when disposed; or, when <c>DIGEST_TEST_STORAGE</c> gives a connection string (a real account or an emulator
/// already running), that storage and no process.</summary>
public sealed partial class AzuriteProcess : IAsyncDisposable
{
    public const string EnvironmentVariable = "DIGEST_TEST_STORAGE";

    // Azurite's well-known development account; the emulator only listens on loopback.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly List<string> _output = [];
    private Process? _process;
    private string? _workFolder;

    private AzuriteProcess()
    {
    }

    public string ConnectionString { get; private set; } = "";

    public static async Task<AzuriteProcess> StartAsync(CancellationToken cancellationToken, bool onDisk = false)
    {
        var azurite = new AzuriteProcess();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { } given && !string.IsNullOrWhiteSpace(given))
        {
            azurite.ConnectionString = given;
            return azurite;
        }

        try
        {
            await azurite.StartProcessAsync(onDisk, cancellationToken);
            return azurite;
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        if (_workFolder is not null)
        {
            try
            {
                Directory.Delete(_workFolder, recursive: true);
            }
            catch (IOException)
            {
                // A file still held by the dying process; the temp folder is cleaned by the OS.
            }
        }
    }

    private async Task StartProcessAsync(bool onDisk, CancellationToken cancellationToken)
    {
        var azurite = FindAzurite();
        _workFolder = Directory.CreateTempSubdirectory("digest-azurite-").FullName;
        var start = new ProcessStartInfo(azurite)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _workFolder,
        };
        foreach (var argument in (string[])[
            .. onDisk ? ["--location", _workFolder] : (string[])["--inMemoryPersistence"], "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", "0", "--queuePort", "0", "--tablePort", "0"])
        {
            start.ArgumentList.Add(argument);
        }

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var allListening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => allListening.TrySetException(new InvalidOperationException(
            $"Azurite exited before it listened:{Environment.NewLine}{string.Join(Environment.NewLine, Snapshot())}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await using (timeout.Token.Register(() => allListening.TrySetException(cancellationToken.IsCancellationRequested
            ? new OperationCanceledException(cancellationToken)
            : new TimeoutException($"Azurite did not listen within 60 s:{Environment.NewLine}{string.Join(Environment.NewLine, Snapshot())}"))))
        {
            await allListening.Task;
        }

        ConnectionString = ConnectionStringFor(ports["Blob"], ports["Queue"], ports["Table"]);

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                // Only the start-up lines are kept (for the error message); a long run logs nothing else we need.
                if (ports.Count < 3)
                {
                    _output.Add(line);
                }

                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture);
                    if (ports.Count == 3)
                    {
                        allListening.TrySetResult();
                    }
                }
            }
        }
    }

    /// <summary>The development account's connection string for services on these loopback ports.</summary>
    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    private List<string> Snapshot()
    {
        lock (_output)
        {
            return [.. _output];
        }
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

        throw new InvalidOperationException(
            $"Azurite is not installed. Run 'npm ci' at the repository root (it installs the version pinned in package.json), " +
            $"or set {EnvironmentVariable} to a storage connection string. Node.js 20 or later is required.");
    }

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
