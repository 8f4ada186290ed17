using System.Diagnostics;
using System.Diagnostics.Metrics;
using Digest.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Digest.Tests.Telemetry;

/// <summary>
/// What a host's OpenTelemetry pipeline exports, kept in memory: add <see cref="Configure"/> to the host's services
/// (after <c>AddDigestTelemetry</c>), then either run the work inside <see cref="StartTest"/> or, for a host that runs its
/// steps on its own (each its own trace, as in production), <see cref="FollowTracesReaching"/> the test's loopback servers;
/// then read the activities of those traces, and (after <see cref="ListenTo"/>) the metrics of that host. The listeners of
/// the SDK hear every host in the process, so activities are told apart by their traces, and meters by the host's own
/// <c>IMeterFactory</c>.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private static readonly ActivitySource TestSource = new("Digest.Tests.Telemetry");

    // The exporter adds from the threads that end activities (those of tests running alongside too): a list read while
    // it grows throws, so every access holds its lock.
    private readonly ExportedActivities _activities = new();
    private readonly MeterListener _listener = new();
    private readonly List<(string Name, double Value, IReadOnlyDictionary<string, object?> Tags)> _measurements = [];
    private Func<IReadOnlyList<Activity>, Func<Activity, bool>> _ofTheTest = _ => _ => false;

    public void Configure(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(TestSource.Name).AddInMemoryExporter(_activities));
    }

    /// <summary>The root of the test's trace: work done inside it is in <see cref="Activities"/>.</summary>
    public Activity StartTest(string name)
    {
        var activity = TestSource.StartActivity(name, ActivityKind.Internal) ?? throw new InvalidOperationException("No tracer provider listens: was Configure called on a built host?");
        var traceId = activity.TraceId;
        _ofTheTest = _ => candidate => candidate.TraceId == traceId;
        return activity;
    }

    /// <summary>
    /// From now on <see cref="Activities"/> are those of the traces that called one of these servers (an activity of the
    /// trace has a <c>url.full</c> on one of them: a page fetch, an HTTP call), and of the traces linked to one of those
    /// (a parse is linked to its fetch): the servers' ports are the test's own.
    /// </summary>
    public void FollowTracesReaching(params Uri[] servers)
    {
        var authorities = servers.Select(server => server.GetLeftPart(UriPartial.Authority)).ToList();
        _ofTheTest = all =>
        {
            var reaching = all.Where(activity => activity.GetTagItem("url.full") is string url && authorities.Any(authority => url.StartsWith(authority, StringComparison.Ordinal)))
                .Select(activity => activity.TraceId).ToHashSet();
            var spans = all.Where(activity => reaching.Contains(activity.TraceId)).Select(activity => activity.SpanId).ToHashSet();
            reaching.UnionWith(all.Where(activity => activity.Links.Any(link => spans.Contains(link.Context.SpanId))).Select(activity => activity.TraceId));
            return activity => reaching.Contains(activity.TraceId);
        };
    }

    /// <summary>The finished activities of the test's trace.</summary>
    public IReadOnlyList<Activity> Activities
    {
        get
        {
            var exported = _activities.Snapshot();
            var ofTheTest = _ofTheTest(exported);
            return [.. exported.Where(activity => ofTheTest(activity) && activity.Source.Name == DigestTelemetry.Name)];
        }
    }

    public IReadOnlyList<Activity> Named(string name) => [.. Activities.Where(activity => activity.OperationName == name)];

    /// <summary>The finished activities of the test's traces linked to <paramref name="activity"/>: same trace id, same span.</summary>
    public IReadOnlyList<Activity> LinkedTo(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return [.. Activities.Where(candidate => candidate.Links.Any(link => link.Context.TraceId == activity.TraceId && link.Context.SpanId == activity.SpanId))];
    }

    /// <summary>Counts the measurements of the meters the host's own <see cref="IMeterFactory"/> made, from now on. An
    /// OpenTelemetry meter provider listens to every meter of a name in the process, so the bots and crawls of tests
    /// running alongside would count into it; the factory's scope tells this host's meters apart. It also creates the
    /// host's tracer provider, which a host that is never started (a command's, the Function App's in tests) would not.</summary>
    public void ListenTo(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        _ = services.GetService<TracerProvider>();
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Meter.Name == DigestTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The total of a counter of the host since <see cref="ListenTo"/>, over the measurements whose tags match.</summary>
    public long Sum(string name, Func<IReadOnlyDictionary<string, object?>, bool>? where = null)
    {
        lock (_measurements)
        {
            return (long)_measurements.Where(measurement => measurement.Name == name && (where is null || where(measurement.Tags))).Sum(measurement => measurement.Value);
        }
    }

    /// <summary>How many measurements an instrument of the host recorded (a histogram's: how many things it timed).</summary>
    public int Count(string name, Func<IReadOnlyDictionary<string, object?>, bool>? where = null)
    {
        lock (_measurements)
        {
            return _measurements.Count(measurement => measurement.Name == name && (where is null || where(measurement.Tags)));
        }
    }

    /// <summary>The names of the instruments of the host that recorded something.</summary>
    public IReadOnlySet<string> Recorded
    {
        get
        {
            lock (_measurements)
            {
                return _measurements.Select(measurement => measurement.Name).ToHashSet(StringComparer.Ordinal);
            }
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The exporter's collection, safe to read while it is added to.</summary>
    private sealed class ExportedActivities : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public int Count
        {
            get
            {
                lock (_items)
                {
                    return _items.Count;
                }
            }
        }

        public bool IsReadOnly => false;

        public Activity[] Snapshot()
        {
            lock (_items)
            {
                return [.. _items];
            }
        }

        public void Add(Activity item)
        {
            lock (_items)
            {
                _items.Add(item);
            }
        }

        public void Clear()
        {
            lock (_items)
            {
                _items.Clear();
            }
        }

        public bool Contains(Activity item)
        {
            lock (_items)
            {
                return _items.Contains(item);
            }
        }

        public void CopyTo(Activity[] array, int arrayIndex)
        {
            lock (_items)
            {
                _items.CopyTo(array, arrayIndex);
            }
        }

        public bool Remove(Activity item)
        {
            lock (_items)
            {
                return _items.Remove(item);
            }
        }

        public IEnumerator<Activity> GetEnumerator() => ((IEnumerable<Activity>)Snapshot()).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
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
    }
}
