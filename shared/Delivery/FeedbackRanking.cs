using Digest.Papers;
using Digest.Rules;
using Digest.Subscriptions;

namespace Digest.Delivery;

/// <summary>What a subscription's feedback taught: the words that raise a paper, and those that lower it.</summary>
public sealed record LearnedTerms(IReadOnlyList<string> Positive, IReadOnlyList<string> Negative);

/// <summary>
/// Orders a subscription's digest by what its feedback taught: a logistic regression over the papers' tf-idf vectors
/// (the same features as <c>like:</c> rules), trained on the liked papers against the disliked ones and, with a small
/// weight, the papers delivered without any click (seen and ignored). It only reorders: every paper is still sent.
/// </summary>
public sealed class FeedbackRanking(DeliveryOutbox outbox, PaperStore papers, PaperCorpus corpus)
{
    /// <summary>Feedback clicks a subscription needs before its digests are ordered.</summary>
    public const int MinimumFeedback = 3;

    private const double IgnoredWeight = 0.25;
    private const double Regularization = 0.01;
    private const double LearningRate = 0.5;
    private const int Epochs = 200;

    /// <summary>The items, best first when the subscription has enough feedback; as they were otherwise (ties too).</summary>
    public async Task<List<T>> OrderAsync<T>(Subscription subscription, List<T> items, Func<T, Paper> paperOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(paperOf);
        if (subscription.FeedbackCount < MinimumFeedback || items.Count < 2
            || await TrainAsync(subscription.Key, cancellationToken).ConfigureAwait(false) is not { } model)
        {
            return items;
        }

        return [.. items.Select((item, index) => (item, index, score: model.Score(paperOf(item))))
            .OrderByDescending(entry => entry.score).ThenBy(entry => entry.index).Select(entry => entry.item)];
    }

    /// <summary>The top words of the model, or null when the subscription has too little feedback.</summary>
    public async Task<LearnedTerms?> LearnedAsync(ConversationKey key, int count, CancellationToken cancellationToken) =>
        await TrainAsync(key, cancellationToken).ConfigureAwait(false) is { } model ? model.Terms(count) : null;

    private async Task<Model?> TrainAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        var sent = (await outbox.ListAsync(key, cancellationToken).ConfigureAwait(false)).Where(row => row.State == DeliveryState.Sent).ToList();
        if (sent.Count(row => row.Feedback is not null) < MinimumFeedback || !sent.Any(row => row.Feedback == nameof(PaperFeedback.Liked)))
        {
            return null;
        }

        var statistics = await corpus.GetAsync(cancellationToken).ConfigureAwait(false);
        var stored = await papers.ReadAsync(sent.Select(row => row.PaperId), cancellationToken).ConfigureAwait(false);
        var examples = sent.Where(row => stored.ContainsKey(row.PaperId))
            .Select(row => (Features: Features(statistics, stored[row.PaperId].ToPaper()),
                Label: row.Feedback == nameof(PaperFeedback.Liked) ? 1.0 : 0.0,
                Weight: row.Feedback is null ? IgnoredWeight : 1.0))
            .ToList();
        return Model.Train(statistics, examples);
    }

    // Unit-length tf-idf, so long abstracts do not outweigh short ones.
    private static Dictionary<string, double> Features(CorpusStatistics statistics, Paper paper)
    {
        var vector = PaperVector.Create(statistics, paper);
        return vector.Norm == 0 ? [] : vector.Weights.ToDictionary(weight => weight.Key, weight => weight.Value / vector.Norm, StringComparer.Ordinal);
    }

    private sealed class Model(CorpusStatistics statistics, Dictionary<string, double> weights, double bias)
    {
        public static Model Train(CorpusStatistics statistics, List<(Dictionary<string, double> Features, double Label, double Weight)> examples)
        {
            // Batch gradient descent on the weighted log loss with L2: a few hundred examples at most, so plain and exact.
            var weights = new Dictionary<string, double>(StringComparer.Ordinal);
            var bias = 0.0;
            var total = examples.Sum(example => example.Weight);
            for (var epoch = 0; epoch < Epochs; epoch++)
            {
                var gradient = new Dictionary<string, double>(StringComparer.Ordinal);
                var biasGradient = 0.0;
                foreach (var (features, label, weight) in examples)
                {
                    var error = weight * (Sigmoid(Dot(weights, bias, features)) - label);
                    biasGradient += error;
                    foreach (var (word, value) in features)
                    {
                        gradient[word] = gradient.GetValueOrDefault(word) + (error * value);
                    }
                }

                foreach (var (word, value) in gradient)
                {
                    var current = weights.GetValueOrDefault(word);
                    weights[word] = current - (LearningRate * ((value / total) + (Regularization * current)));
                }

                bias -= LearningRate * biasGradient / total;
            }

            return new Model(statistics, weights, bias);
        }

        public double Score(Paper paper) => Dot(weights, bias, Features(statistics, paper));

        public LearnedTerms Terms(int count) => new(
            [.. weights.Where(weight => weight.Value > 0).OrderByDescending(weight => weight.Value).ThenBy(weight => weight.Key, StringComparer.Ordinal).Take(count).Select(weight => weight.Key)],
            [.. weights.Where(weight => weight.Value < 0).OrderBy(weight => weight.Value).ThenBy(weight => weight.Key, StringComparer.Ordinal).Take(count).Select(weight => weight.Key)]);

        private static double Dot(Dictionary<string, double> weights, double bias, Dictionary<string, double> features) =>
            bias + features.Sum(feature => weights.GetValueOrDefault(feature.Key) * feature.Value);

        private static double Sigmoid(double value) => 1.0 / (1.0 + Math.Exp(-value));
    }
}
