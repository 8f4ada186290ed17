using System.Diagnostics;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Shouldly;

namespace Digest.Tests.Telemetry;

/// <summary>
/// What a host's OpenTelemetry pipeline exports, kept in memory: add <see cref="Configure"/> to the host's services
/// (after <c>AddDigestTelemetry</c>), run the work inside <see cref="StartTest"/>, then read the activities of that
/// trace and the metrics of that host. The activity listeners of the SDK hear every host in the process, so activities
/// are told apart by the test's own trace id; meters come from each host's own <c>IMeterFactory</c>.
/// </summary>
public sealed class TelemetryCapture
{
    private static readonly ActivitySource TestSource = new("Digest.Tests.Telemetry");

    private readonly List<Activity> _activities = [];
    private readonly List<MetricSnapshot> _metrics = [];
    private ActivityTraceId? _traceId;

    public void Configure(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(TestSource.Name).AddInMemoryExporter(_activities));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics));
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

    /// <summary>The total of a counter in the host's latest export (cumulative), over the points whose tags match.</summary>
    public long Sum(MeterProvider provider, string name, Func<IReadOnlyDictionary<string, object?>, bool>? where = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        provider.ForceFlush().ShouldBeTrue();
        var latest = _metrics.LastOrDefault(metric => metric.Name == name && metric.MeterName == DigestTelemetry.Name);
        if (latest is null)
        {
            return 0;
        }

        long total = 0;
        foreach (var point in latest.MetricPoints)
        {
            var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var tag in point.Tags)
            {
                tags[tag.Key] = tag.Value;
            }

            if (where is null || where(tags))
            {
                total += point.GetSumLong();
            }
        }

        return total;
    }
}
