using Digest.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The Function App (isolated worker): the steps of shared/Steps on their timer and queue triggers, and a health probe.
// Everything it registers comes from DigestFunctionApp.Configure, through the shared/ AddDigest* methods.
var builder = FunctionsApplication.CreateBuilder(args);
DigestFunctionApp.Configure(builder);
await builder.Build().RunAsync();
