using static Digest.Conversation.RichText;

namespace Digest.Conversation.Commands;

/// <summary>Time zones as the commands take them: IANA names (or Windows ones), checked against the system's database.</summary>
internal static class TimeZones
{
    public static bool TryFind(string name, out string id)
    {
        try
        {
            id = TimeZoneInfo.FindSystemTimeZoneById(name).Id;
            return true;
        }
        catch (Exception exception) when (exception is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            id = "";
            return false;
        }
    }

    public static RichText Unknown(string name) =>
        Plain($"Unknown time zone \"{name}\". Use an IANA name such as Europe/Berlin, America/New_York or UTC.");
}
