using System.Globalization;
using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>mode instant</c>, <c>mode daily HH:mm Zone</c> or <c>mode weekly Day HH:mm Zone</c>.</summary>
internal sealed class ModeCommand(SubscriptionStore store) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["mode"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parts = request.Argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        DeliveryMode mode;
        RichText? problem;
        if (parts is ["instant"])
        {
            mode = DeliveryMode.Instant;
        }
        else if (parts is ["daily", var at, var zone])
        {
            (mode, problem) = Scheduled(DeliveryCadence.Daily, null, at, zone);
            if (problem is not null)
            {
                return CommandResult.Text(problem);
            }
        }
        else if (parts is ["weekly", var dayName, var weeklyAt, var weeklyZone])
        {
            if (!QuietDays.TryParseDay(dayName, out var day))
            {
                return CommandResult.Text(Plain($"\"{dayName}\" is not a day of the week; use mon, tue, wed, thu, fri, sat or sun, e.g. ") + Strong("mode weekly mon 08:30 Europe/Berlin") + ".");
            }

            (mode, problem) = Scheduled(DeliveryCadence.Weekly, day, weeklyAt, weeklyZone);
            if (problem is not null)
            {
                return CommandResult.Text(problem);
            }
        }
        else
        {
            return CommandResult.Text("Usage: " + Strong("mode instant") + ", " + Strong("mode daily") + " " + Emphasis("HH:mm") + " " + Emphasis("TimeZone")
                + " or " + Strong("mode weekly") + " " + Emphasis("Day HH:mm TimeZone") + ", e.g. mode daily 08:30 Europe/Berlin, mode weekly mon 08:30 Europe/Berlin.");
        }

        await store.UpdateAsync(request.Key, null, current => current with { Mode = mode }, cancellationToken).ConfigureAwait(false);
        var time = mode.DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture);
        return CommandResult.Text(mode.Cadence switch
        {
            DeliveryCadence.Daily => Plain($"Mode set: one digest a day at {time} ({mode.TimeZoneId})."),
            DeliveryCadence.Weekly => Plain($"Mode set: one digest a week, on {mode.WeeklyOn} at {time} ({mode.TimeZoneId})."),
            _ => Plain("Mode set: papers are sent as soon as they are found."),
        });
    }

    // The mode, or the reply that says what is wrong with the time or the zone.
    private static (DeliveryMode Mode, RichText? Problem) Scheduled(DeliveryCadence cadence, DayOfWeek? day, string at, string zone)
    {
        if (!TimeOnly.TryParseExact(at, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return (DeliveryMode.Instant, $"\"{at}\" is not a time of day; use 24-hour HH:mm, e.g. " + Strong("mode daily 08:30 Europe/Berlin") + ".");
        }

        return TimeZones.TryFind(zone, out var id)
            ? (new DeliveryMode(cadence, time, id, day), null)
            : (DeliveryMode.Instant, TimeZones.Unknown(zone));
    }
}
