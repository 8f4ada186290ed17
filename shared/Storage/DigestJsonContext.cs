using System.Text.Json.Serialization;
using Digest.Papers;

namespace Digest.Storage;

/// <summary>JSON that Digest stores in table columns, source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<RecordedChange>))]
internal sealed partial class DigestJsonContext : JsonSerializerContext;
