namespace Digest.Telemetry;

/// <summary>Which host a process is (its OpenTelemetry <c>service.name</c>: <c>digest-run</c>, <c>digest-functions</c>, …)
/// and which instance of it (<c>service.instance.id</c>: machine and process), for telemetry and for what the process
/// records about its own work (the step runs <c>digest status</c> shows).</summary>
public sealed record ServiceIdentity(string Name, string Instance)
{
    /// <summary>This process, as the host <paramref name="name"/>.</summary>
    public static ServiceIdentity Of(string name) =>
        new(name, $"{Environment.MachineName}/{Environment.ProcessId}");
}
