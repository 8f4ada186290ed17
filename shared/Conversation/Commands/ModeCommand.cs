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
        var parts = request.Argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        DeliveryMode mode;
        if (parts is ["instant"])
        {
            mode = DeliveryMode.Instant;
        }
        else if (parts is ["daily", var at, var zone])
        {
            if (!TimeOnly.TryParseExact(at, ["H:mm", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var dailyAt))
            {
                return CommandResult.Text($"\"{at}\" is not a time of day; use 24-hour HH:mm, e.g. " + Strong("mode daily 08:30 Europe/Berlin") + ".");
            }

            try
            {
                mode = new DeliveryMode(DeliveryCadence.Daily, dailyAt, TimeZoneInfo.FindSystemTimeZoneById(zone).Id);
            }
            catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                return CommandResult.Text(Plain($"Unknown time zone \"{zone}\". Use an IANA name such as Europe/Berlin, America/New_York or UTC."));
            }
        }
        else
        {
            return CommandResult.Text("Usage: " + Strong("mode instant") + ", or " + Strong("mode daily") + " " + Emphasis("HH:mm") + " " + Emphasis("TimeZone") + ", e.g. mode daily 08:30 Europe/Berlin.");
        }

        await store.UpdateAsync(request.Key, null, current => current with { Mode = mode }, cancellationToken).ConfigureAwait(false);
        return CommandResult.Text(mode.Cadence == DeliveryCadence.Instant
            ? Plain("Mode set: papers are sent as soon as they are found.")
            : Plain($"Mode set: one digest a day at {mode.DailyAt?.ToString("HH:mm", CultureInfo.InvariantCulture)} ({mode.TimeZoneId})."));
    }
}
