using Digest.Subscriptions;
using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary><c>quiet weekends [Zone]</c>, <c>quiet sat sun [Zone]</c> or <c>quiet off</c>: days on which nothing is sent.
/// The zone defaults to the mode's, else UTC.</summary>
internal sealed class QuietCommand(SubscriptionStore store) : IConversationCommand
{
    public IReadOnlyList<string> Names { get; } = ["quiet"];

    public async Task<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parts = request.Argument.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (parts is ["off"])
        {
            await store.UpdateAsync(request.Key, null, current => current with { QuietDays = null }, cancellationToken).ConfigureAwait(false);
            return CommandResult.Text(Plain("Quiet days off: papers may be sent on any day."));
        }

        var days = new SortedSet<DayOfWeek>();
        var zone = (await request.GetSubscriptionAsync(cancellationToken).ConfigureAwait(false)).Mode.TimeZoneId ?? "UTC";
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Equals("weekends", StringComparison.OrdinalIgnoreCase))
            {
                days.UnionWith(QuietDays.Weekends);
            }
            else if (QuietDays.TryParseDay(parts[i], out var day))
            {
                days.Add(day);
            }
            else if (i == parts.Length - 1 && days.Count > 0)
            {
                if (!TimeZones.TryFind(parts[i], out zone))
                {
                    return CommandResult.Text(TimeZones.Unknown(parts[i]));
                }
            }
            else
            {
                return CommandResult.Text(Plain($"\"{parts[i]}\" is not a day of the week. ") + Usage);
            }
        }

        if (days.Count is 0 or 7)
        {
            return CommandResult.Text(Usage);
        }

        var quiet = new QuietDays([.. days], zone);
        await store.UpdateAsync(request.Key, null, current => current with { QuietDays = quiet }, cancellationToken).ConfigureAwait(false);
        return CommandResult.Text(Plain($"Quiet days set: nothing is sent on {quiet}; papers found then go out with the next delivery."));
    }

    private static RichText Usage =>
        "Usage: " + Strong("quiet weekends") + ", " + Strong("quiet") + " " + Emphasis("sat sun") + " " + Emphasis("[TimeZone]") + " (one to six days) or " + Strong("quiet off") + ".";
}
