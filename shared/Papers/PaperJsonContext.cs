using System.Text.Json.Serialization;

namespace Digest.Papers;

/// <summary>The JSON that paper rows keep in table columns, source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<RecordedChange>))]
internal sealed partial class PaperJsonContext : JsonSerializerContext;
