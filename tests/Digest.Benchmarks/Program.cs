using BenchmarkDotNet.Running;
using Digest.Benchmarks;

// dotnet run -c Release --project tests/Digest.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/Digest.Benchmarks -- --rule-timing 100000 1000 10
if (args is ["--rule-timing", .. var rest])
{
    RuleTiming.Run(rest);
}
else
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
