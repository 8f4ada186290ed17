using System.Globalization;
using System.Text;
using System.Text.Json;
using Digest.Papers;
using Digest.Parsing;
using Digest.Rules;

namespace Digest.Benchmarks;

/// <summary>
/// Papers and rules for the rule benchmarks, built from the real corpus pages with a fixed seed so every run measures the same work.
/// </summary>
/// <remarks>
/// Papers: the papers of <c>Fixtures/corpus/*.txt</c> (plain-text Daily Papers pages) as <see cref="PageParser"/> reads them,
/// distinct by id, cycled to the count asked for, with 1-4 author names from the saved Hugging Face fixtures and upvotes
/// drawn from a skewed distribution.
/// Rules: 2-4 terms drawn from the corpus words in proportion to their real frequency (stop words left out); some phrases
/// (real adjacent word pairs of the corpus), some prefix wildcards, some field scopes, some NOT, some OR, a few thresholds.
/// </remarks>
public static class RuleWorkload
{
    private static readonly HashSet<string> StopWords = new(
        """
        a about above after again against all also am an and any are as at be because been before being below between both but by
        can could did do does doing down during each few for from further had has have having he her here hers herself him himself
        his how i if in into is it its itself just may me might more most must my myself no nor not now of off on once only or other
        our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they
        this those through to too under until up upon very via was we were what when where which while who whom why will with within
        without would you your yours yourself yourselves however thus therefore whether either neither one two three first second
        new use used using based show shows shown propose proposed paper work results method methods approach approaches well
        """.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries),
        StringComparer.Ordinal);

    /// <summary>The distinct papers of the corpus pages, read by <see cref="PageParser"/>, with author names added.</summary>
    public static IReadOnlyList<Paper> LoadCorpusPapers(string fixturesFolder)
    {
        var authors = LoadAuthorNames(Path.Combine(fixturesFolder, "hf-papers"));
        var random = new Random(20240313);
        var parser = new PageParser();
        var fetchedAt = new DateTimeOffset(2024, 3, 15, 8, 0, 0, TimeSpan.Zero);
        var papers = new List<Paper>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(fixturesFolder, "corpus"), "*.txt").Order(StringComparer.Ordinal))
        {
            var page = parser.Parse(new PageToParse(File.ReadAllBytes(file), "text/plain; charset=utf-8", new Uri(file), fetchedAt, null));
            foreach (var paper in page.Papers)
            {
                if (!ids.Add(paper.Id))
                {
                    continue;
                }

                // The plain-text pages carry no authors; names from the saved Hugging Face pages stand in for them.
                var names = new string[random.Next(1, 5)];
                for (var k = 0; k < names.Length; k++)
                {
                    names[k] = authors[random.Next(authors.Count)];
                }

                papers.Add(paper with { Authors = names });
            }
        }

        return papers;
    }

    /// <summary><paramref name="count"/> papers: the corpus papers cycled, each copy with its own id and upvotes.</summary>
    public static IReadOnlyList<Paper> Papers(IReadOnlyList<Paper> distinct, int count, int seed = 7)
    {
        var random = new Random(seed);
        var papers = new Paper[count];
        for (var i = 0; i < count; i++)
        {
            // Most papers get a handful of upvotes, a few get hundreds.
            var upvotes = (int)Math.Round(Math.Pow(random.NextDouble(), 3) * 300);
            papers[i] = distinct[i % distinct.Count] with { Id = $"2403.{i:D5}", Upvotes = upvotes };
        }

        return papers;
    }

    /// <summary><paramref name="count"/> rule texts of realistic shape over the words of <paramref name="papers"/>.</summary>
    /// <param name="papers">The corpus papers the words and their frequencies come from.</param>
    /// <param name="count">How many rules.</param>
    /// <param name="maxPaperShare">Leave out words found in more than this share of the papers (the corpus's own stop
    /// words, such as <c>models</c> or <c>training</c>); 1 keeps every word that is not an English stop word.</param>
    /// <param name="seed">The random seed.</param>
    public static IReadOnlyList<string> RuleTexts(IReadOnlyList<Paper> papers, int count, double maxPaperShare = 1.0, int seed = 42)
    {
        var frequencies = WordFrequencies.FromPapers(papers);
        bool IsTopical(string word) => frequencies.DocumentFrequency(word) <= maxPaperShare;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var pairs = new List<(string, string)>();
        var surnames = new List<string>();
        foreach (var paper in papers)
        {
            var words = TextNormalizer.Words(paper.Title + " \n " + paper.Abstract);
            for (var i = 0; i < words.Count; i++)
            {
                if (!IsContentWord(words[i]))
                {
                    continue;
                }

                if (IsTopical(words[i]))
                {
                    counts[words[i]] = counts.GetValueOrDefault(words[i]) + 1;
                }

                if (i + 1 < words.Count && IsContentWord(words[i + 1]) && (IsTopical(words[i]) || IsTopical(words[i + 1])))
                {
                    pairs.Add((words[i], words[i + 1]));
                }
            }

            foreach (var author in paper.Authors)
            {
                var parts = TextNormalizer.Words(author);
                if (parts.Count > 0)
                {
                    surnames.Add(parts[^1]);
                }
            }
        }

        var vocabulary = counts.OrderBy(entry => entry.Key, StringComparer.Ordinal).ToArray();
        var cumulative = new long[vocabulary.Length];
        long total = 0;
        for (var i = 0; i < vocabulary.Length; i++)
        {
            total += vocabulary[i].Value;
            cumulative[i] = total;
        }

        var random = new Random(seed);
        string Word()
        {
            var index = Array.BinarySearch(cumulative, random.NextInt64(total) + 1);
            return vocabulary[index < 0 ? ~index : index].Key;
        }

        string Term()
        {
            var roll = random.NextDouble();
            if (roll < 0.15)
            {
                // A real phrase: the pair starting at a frequency-weighted position of the corpus.
                var (first, second) = pairs[random.Next(pairs.Count)];
                return $"\"{first} {second}\"";
            }

            var word = Word();
            if (roll < 0.25 && word.Length >= 6)
            {
                return word[..(word.Length - random.Next(2, 4))] + "*";
            }

            return word;
        }

        var rules = new string[count];
        var builder = new StringBuilder();
        for (var r = 0; r < count; r++)
        {
            builder.Clear();
            if (random.NextDouble() < 0.002)
            {
                // A few rules are thresholds alone: the index checks these on every paper.
                builder.Append(CultureInfo.InvariantCulture, $"upvotes>={random.Next(50, 250)} NOT {Word()}");
                rules[r] = builder.ToString();
                continue;
            }

            var terms = random.Next(2, 5);
            for (var t = 0; t < terms; t++)
            {
                if (t > 0)
                {
                    builder.Append(' ');
                }

                var roll = random.NextDouble();
                if (t > 0 && roll < 0.12)
                {
                    builder.Append("NOT ").Append(Term());
                }
                else if (roll < 0.30)
                {
                    builder.Append(random.NextDouble() < 0.5 ? "title:" : "abstract:").Append(Term());
                }
                else if (roll < 0.33)
                {
                    builder.Append("author:").Append(surnames[random.Next(surnames.Count)]);
                }
                else if (roll < 0.48)
                {
                    builder.Append('(').Append(Term()).Append(" OR ").Append(Term()).Append(')');
                }
                else
                {
                    builder.Append(Term());
                }
            }

            if (random.NextDouble() < 0.05)
            {
                builder.Append(CultureInfo.InvariantCulture, $" upvotes>={random.Next(5, 100)}");
            }

            rules[r] = builder.ToString();
        }

        return rules;
    }

    /// <summary>Parses the texts into indexed rules, one owner per ten rules; every generated text must parse.</summary>
    public static IReadOnlyList<IndexedRule> Parse(IReadOnlyList<string> texts)
    {
        var rules = new IndexedRule[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            var result = RuleParser.Parse(texts[i]);
            rules[i] = result.IsSuccess
                ? new IndexedRule($"rule-{i}", $"subscriber-{i / 10}", result.Rule)
                : throw new InvalidOperationException($"Generated rule \"{texts[i]}\" does not parse: {result.Error.Text}");
        }

        return rules;
    }

    /// <summary>The rules, and the rules with the last one changed: a subscriber edited a rule between two runs.</summary>
    public static IndexedRule[][] TwoVersions(IReadOnlyList<IndexedRule> rules)
    {
        IndexedRule[] edited = [.. rules];
        edited[^1] = edited[^1] with { Rule = RuleParser.Parse("edited rule").Rule! };
        return [[.. rules], edited];
    }

    private static bool IsContentWord(string word) =>
        word.Length >= 3 && !StopWords.Contains(word) && !word.All(char.IsAsciiDigit);

    private static List<string> LoadAuthorNames(string folder)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            CollectAuthors(document.RootElement, names);
        }

        return [.. names];
    }

    private static void CollectAuthors(JsonElement element, SortedSet<string> names)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.NameEquals("authors") && property.Value.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var author in property.Value.EnumerateArray())
                        {
                            if (author.ValueKind == JsonValueKind.Object && author.TryGetProperty("name", out var name)
                                && name.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(name.GetString()))
                            {
                                names.Add(name.GetString()!);
                            }
                        }
                    }
                    else
                    {
                        CollectAuthors(property.Value, names);
                    }
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CollectAuthors(item, names);
                }

                break;
        }
    }
}
