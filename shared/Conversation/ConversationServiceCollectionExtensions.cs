using Digest.Conversation.Commands;
using Digest.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Digest.Conversation;

public static class ConversationServiceCollectionExtensions
{
    /// <summary>Registers the command core: the notifier (the <c>digest</c> command delivers through it), the paper
    /// source over the crawl's tables, the rule language, every command, the router and the lifecycle.</summary>
    public static IServiceCollection AddDigestConversation(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddDigestNotifier();
        services.TryAddSingleton<IPaperSource, StoredPaperSource>();
        services.TryAddSingleton<IRuleEngine, RuleLanguageEngine>();
        IEnumerable<Type> commands =
        [
            typeof(HelpCommand), typeof(SubscribeCommand), typeof(PauseCommand), typeof(ModeCommand), typeof(QuietCommand), typeof(AddRuleCommand),
            typeof(RulesCommand), typeof(RemoveRuleCommand), typeof(DigestCommand), typeof(StatusCommand), typeof(FeedbackCommand),
            typeof(LimitCommand), typeof(MoreCommand), typeof(NothingNoteCommand),
        ];
        foreach (var command in commands)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(IConversationCommand), command));
        }

        services.TryAddSingleton<CommandRouter>();
        services.TryAddSingleton<ConversationLifecycle>();
        return services;
    }
}
