using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Digest.BotLoad;

/// <summary>A stretch in which this machine ran a fixed piece of work at least <see cref="MachineStallProbe.Factor"/>
/// times slower than it usually does (Stopwatch timestamps).</summary>
internal readonly record struct MachineStall(long Start, long End, double Slowdown)
{
    public TimeSpan Duration => Stopwatch.GetElapsedTime(Start, End);

    /// <summary>True when the call [<paramref name="started"/>, + <paramref name="milliseconds"/>] was in flight during
    /// the stall, give or take the probe's interval (a stall is only seen when the probe next runs).</summary>
    public bool Overlaps(long started, double milliseconds) =>
        started <= End + MachineStallProbe.Interval && started + (long)(milliseconds / 1000 * Stopwatch.Frequency) >= Start - MachineStallProbe.Interval;
}

/// <summary>Watches the machine rather than the bot: about once a millisecond a thread of its own runs the same small
/// piece of arithmetic (a few microseconds) and notes the processor time its thread was charged for it. Waiting for a
/// core is not charged, so the cores' own speed is what varies: when that piece costs ten times its median, the machine
/// itself (the host under this virtual machine) was not giving this process its processors' usual speed, whatever the
/// bot and the load generator were doing. Linux only (the thread's processor clock, <c>CLOCK_THREAD_CPUTIME_ID</c>).</summary>
internal sealed partial class MachineStallProbe
{
    /// <summary>How much slower than its median the piece of work must run to count as a stall.</summary>
    public const double Factor = 10;

    // Samples of a stall closer than this belong to one stall.
    private static readonly long MergeGap = Stopwatch.Frequency * 15 / 1000;

    private const int Iterations = 2000;
    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    private static ulong s_sink;

    private readonly List<(long Started, long Nanoseconds)> _samples = new(capacity: 120_000);
    private readonly Thread _thread;
    private volatile bool _stopping;

    private MachineStallProbe()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "Machine stall probe" };
    }

    /// <summary>About how often the probe runs (1.5 ms): it sleeps 1 ms between pieces of work, which takes a little
    /// longer.</summary>
    public static long Interval { get; } = Stopwatch.Frequency * 3 / 2000;

    public static bool IsSupported => OperatingSystem.IsLinux();

    public static MachineStallProbe Start()
    {
        var probe = new MachineStallProbe();
        probe._thread.Start();
        return probe;
    }

    /// <summary>Stops the probe; the stalls it saw, and the median processor time of its piece of work.</summary>
    public (IReadOnlyList<MachineStall> Stalls, double MedianMicroseconds) Stop()
    {
        _stopping = true;
        _thread.Join();
        return Stalls(_samples);
    }

    /// <summary>The samples whose piece of work took at least <see cref="Factor"/> times the median, merged into
    /// stalls.</summary>
    private static (IReadOnlyList<MachineStall> Stalls, double MedianMicroseconds) Stalls(IReadOnlyList<(long Started, long Nanoseconds)> samples)
    {
        if (samples.Count == 0)
        {
            return ([], 0);
        }

        var median = samples.Select(sample => sample.Nanoseconds).Order().ElementAt(samples.Count / 2);
        var stalls = new List<MachineStall>();
        foreach (var (started, nanoseconds) in samples.Where(sample => sample.Nanoseconds >= Factor * median).OrderBy(sample => sample.Started))
        {
            var slowdown = (double)nanoseconds / median;
            if (stalls.Count > 0 && started - stalls[^1].End < MergeGap)
            {
                stalls[^1] = stalls[^1] with { End = started, Slowdown = Math.Max(stalls[^1].Slowdown, slowdown) };
            }
            else
            {
                stalls.Add(new MachineStall(started, started, slowdown));
            }
        }

        return (stalls, median / 1000.0);
    }

    /// <summary>One line about the stalls seen over <paramref name="seconds"/>.</summary>
    public static string Describe(IReadOnlyList<MachineStall> stalls, double medianMicroseconds, double seconds)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (stalls.Count == 0)
        {
            return string.Create(invariant, $"machine stalls: none in {seconds:F0} s (the probe's piece of work took {medianMicroseconds:F1} µs of processor time at the median)");
        }

        var long10 = stalls.Where(stall => stall.Duration.TotalMilliseconds >= 10).ToArray();
        var gaps = long10.Zip(long10.Skip(1), (before, after) => Stopwatch.GetElapsedTime(before.Start, after.Start).TotalMilliseconds).Order().ToArray();
        return string.Create(invariant,
            $"machine stalls (the probe's {medianMicroseconds:F1} µs piece of work {Factor:F0}× slower or worse): {stalls.Count} in {seconds:F0} s, {stalls.Sum(stall => stall.Duration.TotalMilliseconds):F0} ms in all, the longest {stalls.Max(stall => stall.Duration.TotalMilliseconds):F0} ms, up to {stalls.Max(stall => stall.Slowdown):F0}× slower; {long10.Length} of them 10 ms or longer{(gaps.Length > 0 ? $", a median {gaps[gaps.Length / 2]:F0} ms apart" : "")}");
    }

    private void Run()
    {
        while (!_stopping)
        {
            Thread.Sleep(1);
            var started = Stopwatch.GetTimestamp();
            var before = ThreadProcessorNanoseconds();
            var value = (ulong)started;
            for (var i = 0; i < Iterations; i++)
            {
                value = unchecked((value * 6364136223846793005UL) + 1442695040888963407UL);
            }

            var after = ThreadProcessorNanoseconds();
            s_sink = value; // kept, so that the loop is not optimised away
            _samples.Add((started, after - before));
        }
    }

    private static long ThreadProcessorNanoseconds() =>
        ClockGetTime(ThreadCpuTimeClock, out var time) == 0 ? (time.Seconds * 1_000_000_000) + time.Nanoseconds
            : throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
