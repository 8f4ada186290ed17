using Microsoft.Extensions.Hosting;

namespace Digest.Steps.Runs;

/// <summary>Writes the per-message step runs a host has not recorded yet (<see cref="StepRunner.FlushAsync"/>) once the
/// host has stopped, after its functions have finished.</summary>
internal sealed class StepRunFlusher(StepRunner runner) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => runner.FlushAsync(cancellationToken);
}
