using System.Globalization;
using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>mode instant</c> or <c>mode daily HH:mm Zone</c>.</summary>
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
        return CommandResult.Text(mode.Cadence == DeliveryCadence.Instant
            ? Plain("Mode set: papers are sent as soon as they are found.")
            : Plain($"Mode set: one digest a day at {mode.DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture)} ({mode.TimeZoneId})."));
    }

    /// <summary>Reads what follows <c>mode</c>: <c>instant</c> or <c>daily HH:mm Zone</c>; otherwise the message to show
    /// (front ends with forms check a mode before they submit it).</summary>
    public static bool TryParse(string argument, out DeliveryMode mode, out RichText error)
    {
        ArgumentNullException.ThrowIfNull(argument);
        mode = DeliveryMode.Instant;
        error = Empty;
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts is ["instant"])
        {
            return true;
        }

        if (parts is not ["daily", var at, var zone])
        {
            error = "Usage: " + Strong("mode instant") + ", or " + Strong("mode daily") + " " + Emphasis("HH:mm") + " " + Emphasis("TimeZone") + ", e.g. mode daily 08:30 Europe/Berlin.";
            return false;
        }

        if (!TimeOnly.TryParseExact(at, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var dailyAt))
        {
            error = $"\"{at}\" is not a time of day; use 24-hour HH:mm, e.g. " + Strong("mode daily 08:30 Europe/Berlin") + ".";
            return false;
        }

        try
        {
            mode = new DeliveryMode(DeliveryCadence.Daily, dailyAt, TimeZoneInfo.FindSystemTimeZoneById(zone).Id);
            return true;
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            error = Plain($"Unknown time zone \"{zone}\". Use an IANA name such as Europe/Berlin, America/New_York or UTC.");
            return false;
        }
    }
}
