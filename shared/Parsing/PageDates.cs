using System.Globalization;

namespace Digest.Parsing;

/// <summary>Reading the dates pages show.</summary>
internal static class PageDates
{
    private static readonly string[] MonthNames =
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    /// <summary>
    /// The latest date with this month and day that is not after <paramref name="notAfter"/>:
    /// <c>Dec 31</c> seen on 2027-01-02 is 2026-12-31, <c>Mar 13</c> seen on 2024-03-13 is 2024-03-13.
    /// <c>Feb 29</c> goes back to the latest leap year.
    /// </summary>
    public static DateOnly ResolveYearless(int month, int day, DateOnly notAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(month, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(month, 12);
        ArgumentOutOfRangeException.ThrowIfLessThan(day, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(day, 31);

        // Feb 29 can be up to 8 years back (1900 → 1904 style gaps); 9 tries always reach one.
        for (var year = notAfter.Year; year > notAfter.Year - 9 && year >= DateOnly.MinValue.Year; year--)
        {
            if (day > DateTime.DaysInMonth(year, month))
            {
                continue;
            }

            var candidate = new DateOnly(year, month, day);
            if (candidate <= notAfter)
            {
                return candidate;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(day), $"No year has day {day} in month {month}.");
    }

    /// <summary>The month number (1-12) of an English month name or its three-letter abbreviation, or 0.</summary>
    public static int MonthNumber(string name)
    {
        if (name.Length < 3)
        {
            return 0;
        }

        var prefix = name[..3].ToLowerInvariant();
        var index = Array.IndexOf(MonthNames, prefix);
        if (index < 0)
        {
            return 0;
        }

        // "Mar", "March" and "Sept" are fine; "Marzipan" is not a month.
        var full = CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(index + 1);
        var isKnownForm = name.Length == 3
            || full.Equals(name, StringComparison.OrdinalIgnoreCase)
            || (index == 8 && name.Equals("Sept", StringComparison.OrdinalIgnoreCase));
        return isKnownForm ? index + 1 : 0;
    }

    /// <summary>
    /// The UTC date of an ISO timestamp (<c>2024-08-01T00:00:00.000Z</c>) or a plain date (<c>2024-08-01</c>), or
    /// <see langword="null"/> when the text is neither.
    /// </summary>
    public static DateOnly? ParseIsoDate(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        return ParseTimestamp(text) is { } timestamp ? DateOnly.FromDateTime(timestamp.UtcDateTime) : null;
    }

    /// <summary>An ISO 8601 timestamp, or <see langword="null"/>. Timestamps without an offset are taken as UTC.</summary>
    public static DateTimeOffset? ParseTimestamp(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(
            text,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out var timestamp)
            ? timestamp
            : null;
    }
}
