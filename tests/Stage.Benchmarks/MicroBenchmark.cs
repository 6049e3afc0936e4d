using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Stage.Benchmarks;

/// <summary>
/// A micro-benchmark (a kernel, a codec call, one resampling or WAV write) measured by BenchmarkDotNet: pilot
/// stage to choose the operations per iteration, warm-up, outlier removal, mean ± standard deviation and median, and the
/// bytes allocated per operation. Our harnesses keep their setup and their own figures (MB/s, x real time) and
/// hand the operation to <see cref="Run"/>; whole-job runs (lm, job, pipe-roundtrip, plugin-process) keep the
/// plain Stopwatch harness (<see cref="Measurement"/>), which BenchmarkDotNet is not made for.
/// </summary>
public static class MicroBenchmark
{
    /// <summary>
    /// BenchmarkDotNet's short job (3 warm-up and 3 measured iterations of about 0.5 s each) in this process: a
    /// case takes a few seconds, the machine is shared, and the operation can be a closure over the harness's
    /// setup. STAGE_BENCHMARK_JOB=default asks for BenchmarkDotNet's default job (many more iterations) instead.
    /// </summary>
    static Job Job =>
        (Environment.GetEnvironmentVariable("STAGE_BENCHMARK_JOB") == "default" ? Job.Default : Job.ShortRun)
        .WithToolchain(InProcessEmitToolchain.Instance);

    /// <summary>Measures <paramref name="operation"/>, prints one line (mean ± standard deviation, median,
    /// allocated bytes, and <paramref name="rate"/> of the median if given) and returns the median.</summary>
    public static TimeSpan Run(string label, Action operation, Func<TimeSpan, string>? rate = null)
    {
        Operation.Current = operation;
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(ErrorsOnly.Instance)
            .AddExporter(MarkdownExporter.Console) // into the filtered log: our one line replaces its table
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"))
            .WithOptions(ConfigOptions.DisableLogFile);
        var summary = BenchmarkRunner.Run<Operation>(config);
        if (summary.Reports.SingleOrDefault() is not { ResultStatistics: { } statistics } report)
        {
            var problems = string.Join("; ", summary.ValidationErrors.Select(e => e.Message));
            throw new InvalidOperationException($"BenchmarkDotNet measured nothing for '{label}'{(problems.Length > 0 ? ": " + problems : "")}");
        }
        var median = TimeSpan.FromTicks((long)(statistics.Median / 100)); // nanoseconds -> ticks
        long? allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
        Console.WriteLine($"  {label,-52} mean {Time(statistics.Mean)} ± {Time(statistics.StandardDeviation)}  median {Time(statistics.Median)}" +
            $"  {allocated?.ToString("N0") ?? "?"} B/op  (n={statistics.N}){(rate is null ? "" : "  " + rate(median))}");
        return median;
    }

    static string Time(double nanoseconds) => nanoseconds switch
    {
        < 1e3 => $"{nanoseconds,7:0.0} ns",
        < 1e6 => $"{nanoseconds / 1e3,7:0.00} us",
        _ => $"{nanoseconds / 1e6,7:0.00} ms",
    };

    /// <summary>BenchmarkDotNet's own progress log is pages per case; only its errors are shown.</summary>
    sealed class ErrorsOnly : ILogger
    {
        public static readonly ErrorsOnly Instance = new();
        public string Id => nameof(ErrorsOnly);
        public int Priority => 0;
        public void Write(LogKind logKind, string text) { if (logKind == LogKind.Error) Console.Error.Write(text); }
        public void WriteLine() { }
        public void WriteLine(LogKind logKind, string text) { if (logKind == LogKind.Error) Console.Error.WriteLine(text); }
        public void Flush() => Console.Error.Flush();
    }

    /// <summary>The one benchmark BenchmarkDotNet runs: whatever <see cref="Run"/> was handed. Public and not
    /// sealed, as BenchmarkDotNet requires.</summary>
    public class Operation
    {
        internal static Action Current = () => { };

        [Benchmark]
        public void Invoke() => Current();
    }
}
