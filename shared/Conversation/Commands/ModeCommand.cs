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
        if (!TryParse(request.Argument, out var mode, out var error))
        {
            return CommandResult.Text(error);
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

    /// <summary>Reads what follows <c>mode</c>: <c>instant</c>, <c>daily HH:mm Zone</c> or <c>weekly Day HH:mm Zone</c>;
    /// otherwise the message to show (front ends with forms check a mode before they submit it).</summary>
    public static bool TryParse(string argument, out DeliveryMode mode, out RichText error)
    {
        ArgumentNullException.ThrowIfNull(argument);
        mode = DeliveryMode.Instant;
        error = Empty;
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (parts)
        {
            case ["instant"]:
                return true;
            case ["daily", var at, var zone]:
                return TryScheduled(DeliveryCadence.Daily, null, at, zone, out mode, out error);
            case ["weekly", var dayName, var at, var zone]:
                if (!QuietDays.TryParseDay(dayName, out var day))
                {
                    error = Plain($"\"{dayName}\" is not a day of the week; use mon, tue, wed, thu, fri, sat or sun, e.g. ") + Strong("mode weekly mon 08:30 Europe/Berlin") + ".";
                    return false;
                }

                return TryScheduled(DeliveryCadence.Weekly, day, at, zone, out mode, out error);
            default:
                error = "Usage: " + Strong("mode instant") + ", " + Strong("mode daily") + " " + Emphasis("HH:mm") + " " + Emphasis("TimeZone")
                    + " or " + Strong("mode weekly") + " " + Emphasis("Day HH:mm TimeZone") + ", e.g. mode daily 08:30 Europe/Berlin, mode weekly mon 08:30 Europe/Berlin.";
                return false;
        }
    }

    private static bool TryScheduled(DeliveryCadence cadence, DayOfWeek? day, string at, string zone, out DeliveryMode mode, out RichText error)
    {
        mode = DeliveryMode.Instant;
        error = Empty;
        if (!TimeOnly.TryParseExact(at, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            error = $"\"{at}\" is not a time of day; use 24-hour HH:mm, e.g. " + Strong("mode daily 08:30 Europe/Berlin") + ".";
            return false;
        }

        if (!TimeZones.TryFind(zone, out var id))
        {
            error = TimeZones.Unknown(zone);
            return false;
        }

        mode = new DeliveryMode(cadence, time, id, day);
        return true;
    }
}
