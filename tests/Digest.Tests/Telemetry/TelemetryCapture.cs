using System.Diagnostics;
using System.Diagnostics.Metrics;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Digest.Tests.Telemetry;

/// <summary>
/// What a host's OpenTelemetry pipeline exports, kept in memory: add <see cref="Configure"/> to the host's services
/// (after <c>AddDigestTelemetry</c>), run the work inside <see cref="StartTest"/>, then read the activities of that
/// trace, and (after <see cref="ListenTo"/>) the metrics of that host. The listeners of the SDK hear every host in the
/// process, so activities are told apart by the test's own trace id, and meters by the host's own <c>IMeterFactory</c>.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private static readonly ActivitySource TestSource = new("Digest.Tests.Telemetry");

    private readonly List<Activity> _activities = [];
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, long Value, IReadOnlyDictionary<string, object?> Tags)> _measurements = [];
    private ActivityTraceId? _traceId;

    public void Configure(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(TestSource.Name).AddInMemoryExporter(_activities));
    }

    /// <summary>The root of the test's trace: work done inside it is in <see cref="Activities"/>.</summary>
    public Activity StartTest(string name)
    {
        var activity = TestSource.StartActivity(name, ActivityKind.Internal) ?? throw new InvalidOperationException("No tracer provider listens: was Configure called on a built host?");
        _traceId = activity.TraceId;
        return activity;
    }

    /// <summary>The finished activities of the test's trace.</summary>
    public IReadOnlyList<Activity> Activities
    {
        get
        {
            lock (_activities)
            {
                return [.. _activities.Where(activity => activity.TraceId == _traceId && activity.Source.Name == DigestTelemetry.Name)];
            }
        }
    }

    public IReadOnlyList<Activity> Named(string name) => [.. Activities.Where(activity => activity.OperationName == name)];

    /// <summary>Counts the measurements of the meters the host's own <see cref="IMeterFactory"/> made, from now on. An
    /// OpenTelemetry meter provider listens to every meter of a name in the process, so the bots and crawls of tests
    /// running alongside would count into it; the factory's scope tells this host's meters apart.</summary>
    public void ListenTo(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Meter.Name == DigestTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }

            lock (_measurements)
            {
                _measurements.Add((instrument.Name, value, copy));
            }
        });
        _listener.Start();
    }

    /// <summary>The total of a counter of the host since <see cref="ListenTo"/>, over the measurements whose tags match.</summary>
    public long Sum(string name, Func<IReadOnlyDictionary<string, object?>, bool>? where = null)
    {
        lock (_measurements)
        {
            return _measurements.Where(measurement => measurement.Name == name && (where is null || where(measurement.Tags))).Sum(measurement => measurement.Value);
        }
    }

    public void Dispose() => _listener.Dispose();
}
