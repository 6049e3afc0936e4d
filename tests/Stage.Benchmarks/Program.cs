using Stage.Benchmarks;

// Plain Stopwatch benchmarks, one file each: dotnet run -c Release --project tests/Stage.Benchmarks -- <name> [args]
internal static class Program
{
    private static readonly (string Name, string Description, Action<string[]> Run)[] Benchmarks =
    [
        ("audio", "resample 10 s stereo 32k->48k (whole and streamed), WAV write+read 10 s", AudioBenchmark.Run),
        ("matmul", "GEMM throughput on the networks' shapes [threads]", MatMulBenchmark.Run),
        ("encodec", "EnCodec 32 kHz real size, random weights: encode + decode 10 s [threads]", EncodecBenchmark.Run),
        ("job", "stem job streaming path, full size random weights: time to first streamed audio and total [context s] [stem s]", JobBenchmark.Run),
        ("text", "tokenizer throughput (fixture spiece.model) and t5-base encode of a 20-word prompt (random weights)", TextBenchmark.Run),
        ("stemchunk-codec", "encode + decode a StemChunk of 10 s stereo 48 kHz float32", a => StemChunkCodecBenchmark.Run(a)),
        ("pipe-roundtrip", "10 s stereo 48 kHz to the engine and back over the named pipe", a => PipeRoundTripBenchmark.Run(a)),
        ("lm", "STAGE LM full size, random weights: prefill + guided steps/s for 10 s context + 10 s stem [context] [stem] [text] [--variations N]", LmBenchmark.Run),
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
