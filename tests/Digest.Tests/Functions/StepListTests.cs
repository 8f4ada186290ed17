using System.Reflection;
using System.Text.Json.Nodes;
using Digest.Delivery.Queue;
using Digest.Steps;
using Shouldly;
using Worker = Microsoft.Azure.Functions.Worker;
using WebJobsSdk = Microsoft.Azure.WebJobs;

namespace Digest.Tests.Functions;

/// <summary>
/// <c>digest run</c>, <c>digest once</c> and the Function App run the steps of <see cref="DigestSteps.All"/>: the same
/// names, triggers, settings and methods, and the same schedules and queue rules in their settings files.
/// </summary>
public sealed class StepListTests
{
    private static readonly string RepositoryRoot = AssemblyMetadata("RepositoryRoot");

    private static IEnumerable<(string Name, string Trigger, string Expression)> Expected =>
        DigestSteps.All.Select(step => (step.Name, step.Trigger.ToString(), step.Expression));

    [Fact]
    public void FunctionsMetadata_BuildOutput_HasTheFourStepsWithTheirTriggersAndSettings()
    {
        var path = Path.Combine(AssemblyMetadata("FunctionAppOutput"), "functions.metadata");
        File.Exists(path).ShouldBeTrue($"{path} is written by the Function App's build");
        var functions = JsonNode.Parse(File.ReadAllText(path))!.AsArray().Select(function => function!.AsObject()).ToList();

        var steps = functions.Where(function => (string?)function["name"] != "health").Select(function =>
        {
            var trigger = function["bindings"]!.AsArray().Single(binding => ((string)binding!["type"]!).EndsWith("Trigger", StringComparison.Ordinal))!;
            return (Name: (string)function["name"]!, Type: (string)trigger["type"]!, Expression: (string?)trigger["schedule"] ?? (string)trigger["queueName"]!, Connection: (string?)trigger["connection"]);
        }).ToList();

        steps.Select(step => step.Name).Order(StringComparer.Ordinal).ShouldBe(DigestSteps.All.Select(step => step.Name).Order(StringComparer.Ordinal));
        foreach (var step in DigestSteps.All)
        {
            var function = steps.Single(candidate => candidate.Name == step.Name);
            function.Type.ShouldBe(step.Trigger == StepTrigger.Timer ? "timerTrigger" : "queueTrigger", step.Name);
            function.Expression.ShouldBe(step.Expression, step.Name);
        }

        steps.Single(step => step.Type == "queueTrigger").Expression.ShouldBe("%Storage:DeliveryQueue%");
        steps.Single(step => step.Type == "queueTrigger").Connection.ShouldBe(DigestSteps.StorageConnection);
        steps.Where(step => step.Type == "timerTrigger").Select(step => step.Expression)
            .ShouldBe(["%Schedules:NotifySubscribers%", "%Schedules:ParseAndDiff%", "%Schedules:SnapshotDigests%"], ignoreOrder: true);
        functions.Single(function => (string?)function["name"] == "health")["bindings"]![0]!["type"]!.GetValue<string>().ShouldBe("httpTrigger");
    }

    [Fact]
    public void FunctionApp_FunctionClasses_AreTheStepList()
    {
        var functions = typeof(Digest.Functions.DigestFunctionApp).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods())
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<Worker.FunctionAttribute>()))
            .Where(function => function.Attribute is not null && function.Attribute.Name != Digest.Functions.HealthFunction.Name)
            .Select(function => (function.Attribute!.Name, Trigger(function.Method)))
            .Select(function => (function.Name, function.Item2.Trigger, function.Item2.Expression));

        functions.ShouldBe(Expected, ignoreOrder: true);
    }

    [Fact]
    public void DigestRun_WebJobsFunctions_AreTheStepList()
    {
        var functions = new[] { typeof(Digest.Cli.CrawlFunctions), typeof(Digest.Cli.NotifyFunctions) }
            .SelectMany(type => type.GetMethods())
            .Select(method => (Method: method, Attribute: method.GetCustomAttribute<WebJobsSdk.FunctionNameAttribute>()))
            .Where(function => function.Attribute is not null)
            .Select(function => (function.Attribute!.Name, Trigger(function.Method)))
            .Select(function => (function.Name, function.Item2.Trigger, function.Item2.Expression));

        functions.ShouldBe(Expected, ignoreOrder: true);
    }

    [Fact]
    public void StepList_EachStep_NamesAPublicMethodOfItsClassInTheOrderOfACycle()
    {
        DigestSteps.All.Select(step => step.Name).ShouldBe([DigestSteps.SnapshotDigests, DigestSteps.ParseAndDiff, DigestSteps.NotifySubscribers, DigestSteps.DeliverToSubscription]);
        foreach (var step in DigestSteps.All)
        {
            var method = step.Service.GetMethods().Where(method => method.Name == step.Method).ShouldHaveSingleItem(step.Name);
            method.ReturnType.IsAssignableTo(typeof(Task)).ShouldBeTrue(step.Name);
            step.Service.Assembly.ShouldBe(typeof(DigestSteps).Assembly, $"{step.Name} calls into shared/");
        }
    }

    [Fact]
    public void Settings_SchedulesOfDigestRunAndTheFunctionApp_AreTheSame()
    {
        var cli = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "cli", "appsettings.json")))!;
        var functionApp = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "functions", "local.settings.example.json")))!["Values"]!;

        foreach (var step in DigestSteps.All.Where(step => step.Trigger == StepTrigger.Timer))
        {
            var parts = step.Setting.Split(':');
            var schedule = (string?)cli[parts[0]]?[parts[1]];
            schedule.ShouldNotBeNullOrWhiteSpace(step.Setting);
            ((string?)functionApp[step.Setting.Replace(":", "__", StringComparison.Ordinal)]).ShouldBe(schedule, step.Setting);
        }

        ((string?)functionApp["Storage__DeliveryQueue"]).ShouldBe((string?)functionApp["Storage__NamePrefix"] + "deliveries");
    }

    [Fact]
    public void Settings_QueueRulesOfDigestAndTheFunctionApp_AreTheSame()
    {
        var queues = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "functions", "host.json")))!["extensions"]!["queues"]!;
        var defaults = new DeliveryQueueOptions();

        ((int)queues["maxDequeueCount"]!).ShouldBe(defaults.MaxDequeueCount);
        TimeSpan.Parse((string)queues["visibilityTimeout"]!, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(defaults.VisibilityTimeout);
        ((int)queues["batchSize"]!).ShouldBe(defaults.BatchSize);
        TimeSpan.Parse((string)queues["maxPollingInterval"]!, System.Globalization.CultureInfo.InvariantCulture).ShouldBe(defaults.MaxPollingInterval);
        ((string)queues["messageEncoding"]!).ShouldBe("base64");
    }

    private static (string Trigger, string Expression) Trigger(MethodInfo method)
    {
        foreach (var attribute in method.GetParameters().SelectMany(parameter => parameter.GetCustomAttributes()))
        {
            switch (attribute)
            {
                case Worker.TimerTriggerAttribute timer:
                    return (nameof(StepTrigger.Timer), timer.Schedule);
                case Worker.QueueTriggerAttribute queue:
                    queue.Connection.ShouldBe(DigestSteps.StorageConnection);
                    return (nameof(StepTrigger.Queue), queue.QueueName);
                case WebJobsSdk.TimerTriggerAttribute timer:
                    return (nameof(StepTrigger.Timer), timer.ScheduleExpression);
                case WebJobsSdk.QueueTriggerAttribute queue:
                    queue.Connection.ShouldBe(DigestSteps.StorageConnection);
                    return (nameof(StepTrigger.Queue), queue.QueueName);
            }
        }

        throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name} has no trigger");
    }

    private static string AssemblyMetadata(string key) =>
        typeof(StepListTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == key)?.Value is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"The test assembly has no '{key}' metadata: see Digest.Tests.csproj.");
}
