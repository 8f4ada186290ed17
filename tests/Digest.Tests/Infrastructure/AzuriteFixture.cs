using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Digest.Storage;
using Microsoft.Extensions.Options;

[assembly: AssemblyFixture(typeof(Digest.Tests.Infrastructure.AzuriteFixture))]

namespace Digest.Tests.Infrastructure;

/// <summary>
/// One storage emulator for the whole test run. Prefers a connection string from
/// <c>DIGEST_TEST_STORAGE</c> (a real account or an emulator already running); otherwise starts the
/// Azurite pinned in the repository's package.json as a node process on loopback, with dynamic ports,
/// in-memory persistence, and stops it at the end.
/// </summary>
public sealed partial class AzuriteFixture : IAsyncLifetime
{
    private const string EnvironmentVariable = "DIGEST_TEST_STORAGE";

    // Azurite's well-known development account; the emulator only listens on loopback.
    private const string AccountName = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly List<string> _output = [];
    private Process? _process;
    private string? _workFolder;

    public string ConnectionString { get; private set; } = "";

    public TableServiceClient TableService => new(ConnectionString);

    public BlobServiceClient BlobService => new(ConnectionString);

    /// <summary>Every table and container of the product, under a <c>Storage:NamePrefix</c> no other test uses.</summary>
    public DigestStorage NewStorage() =>
        new(BlobService, TableService, Options.Create(new StorageOptions { ConnectionString = ConnectionString, NamePrefix = UniqueName("s")[..13] }));

    /// <summary>An emulator-style connection string whose endpoints are a loopback port nothing listens on: storage
    /// that cannot be reached, refused at once.</summary>
    public static string UnreachableConnectionString()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{port}/{AccountName};TableEndpoint=http://127.0.0.1:{port}/{AccountName};";
    }

    /// <summary>A name no other test uses, valid for tables and containers.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 20, 63)];

    public async ValueTask InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
            return;
        }

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
            "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--loose",
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

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using (timeout.Token.Register(() => allListening.TrySetException(new TimeoutException(
            $"Azurite did not listen within 60 s:{Environment.NewLine}{string.Join(Environment.NewLine, Snapshot())}"))))
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
                _output.Add(line);
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
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
