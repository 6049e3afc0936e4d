using Stage.Benchmarks;

// Plain Stopwatch benchmarks, one file each: dotnet run -c Release --project tests/Stage.Benchmarks -- <name> [args]
internal static class Program
{
    private static readonly (string Name, string Description, Action<string[]> Run)[] Benchmarks =
    [
        ("audio", "resample 10 s stereo 32k->48k (whole and streamed), WAV write+read 10 s", AudioBenchmark.Run),
    ];

    private static int Main(string[] args)
    {
        foreach (var benchmark in Benchmarks)
        {
            if (args.Length > 0 && args[0] == benchmark.Name)
            {
                Console.WriteLine($"{benchmark.Name} on {Environment.ProcessorCount} cores ({System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture})");
                benchmark.Run(args[1..]);
                return 0;
            }
        }
        Console.Error.WriteLine("usage: Stage.Benchmarks <name> [args]; benchmarks:");
        foreach (var benchmark in Benchmarks)
            Console.Error.WriteLine($"  {benchmark.Name,-12} {benchmark.Description}");
        return 2;
    }
}
