using System.Diagnostics;

namespace Digest.BotLoad;

/// <summary>Open-loop load: a call every 1/rate s from the start, whatever the answers do.</summary>
internal static class OpenLoop
{
    /// <summary>Starts <paramref name="send"/> for indexes <paramref name="firstIndex"/> onwards, <paramref name="count"/>
    /// times at <paramref name="rate"/> a second, and returns every call's result in order. The pacing thread sleeps in
    /// steps of 1 ms: .NET's timers (Task.Delay) fire on the coarse clock's 4 ms ticks here, which would start four calls
    /// at once every 4 ms.</summary>
    public static async Task<T[]> RunAsync<T>(int firstIndex, int count, int rate, Func<int, Task<T>> send, CancellationToken cancellationToken)
    {
        var tasks = new Task<T>[count];
        var pacer = new Thread(() =>
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                while (Stopwatch.GetElapsedTime(started) < due)
                {
                    Thread.Sleep(1);
                }

                tasks[i] = send(firstIndex + i);
            }
        }) { IsBackground = true, Name = "Open-loop pacer" };
        pacer.Start();
        await Task.Run(pacer.Join, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return await Task.WhenAll(tasks);
    }
}
