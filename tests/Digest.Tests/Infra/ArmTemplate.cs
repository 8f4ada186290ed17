using System.Text.Json.Nodes;

namespace Digest.Tests.Infra;

/// <summary>One ARM template: main, or a module's nested template with the deployment resource that passes its parameters.</summary>
public sealed record ArmTemplate(JsonObject Json, JsonObject? Deployment)
{
    private const string DeploymentType = "Microsoft.Resources/deployments";

    public IEnumerable<ArmResource> Resources => Json["resources"] switch
    {
        JsonArray list => list.Select(resource => new ArmResource(this, resource!.AsObject())),
        // Templates with symbolic names (languageVersion 2.0) keep their resources in an object.
        JsonObject named => named.Select(pair => new ArmResource(this, pair.Value!.AsObject())),
        _ => [],
    };

    public IEnumerable<ArmTemplate> SelfAndModules() =>
        Resources.Where(resource => resource.Type == DeploymentType)
            .SelectMany(deployment => new ArmTemplate(deployment.Json["properties"]!["template"]!.AsObject(), deployment.Json).SelfAndModules())
            .Prepend(this);

    /// <summary>The name of the module deployment, or <c>main</c>.</summary>
    public string Name => Deployment?["name"]?.GetValue<string>() ?? "main";

    public IEnumerable<(string Name, JsonObject Definition)> Parameters =>
        (Json["parameters"] as JsonObject ?? []).Select(pair => (pair.Key, pair.Value!.AsObject()));

    /// <summary>The value (an expression or a literal, as text) the deployment passes for a parameter of this module.</summary>
    public string? ParameterValue(string name) => Deployment?["properties"]?["parameters"]?[name]?["value"]?.ToJsonString() switch
    {
        null => null,
        var json => JsonNode.Parse(json) is JsonValue value && value.TryGetValue<string>(out var text) ? text : json,
    };

    public JsonNode? Variable(string name) => Json["variables"]?[name];

    public static string StripBrackets(string expression) =>
        expression.StartsWith('[') && expression.EndsWith(']') ? expression[1..^1] : expression;
}

/// <summary>One resource of a template.</summary>
public sealed record ArmResource(ArmTemplate Template, JsonObject Json)
{
    public string Type => String("type");

    public JsonNode? Properties => Json["properties"];

    public string String(string property) => Json[property]?.GetValue<string>() ?? "";

    /// <summary>A property under <c>properties</c>, by path.</summary>
    public JsonNode? Property(params string[] path) =>
        path.Aggregate(Properties, (node, name) => node?[name]);
}
