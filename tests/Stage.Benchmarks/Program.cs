namespace Stage.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project tests/Stage.Benchmarks -- NAME [args]` runs one benchmark; without a
/// name it lists them. Each benchmark lives in its own file and is added here with one line.
/// </summary>
static class Program
{
    static readonly (string Name, string Summary, Func<string[], int> Run)[] Benchmarks =
    [
        ("stemchunk-codec", "encode + decode a StemChunk of 10 s stereo 48 kHz float32", StemChunkCodecBenchmark.Run),
        ("pipe-roundtrip", "10 s stereo 48 kHz to the engine and back over the named pipe", PipeRoundTripBenchmark.Run),
        ("audio", "resample 10 s stereo 32k->48k (whole and streamed; ours beside NAudio's WDL), WAV write+read 10 s", Void(AudioBenchmark.Run)),
        ("matmul", "GEMM throughput on the networks' shapes [threads]", Void(MatMulBenchmark.Run)),
        ("encodec", "EnCodec 32 kHz real size, random weights: encode + decode 10 s [threads] [--device D] [--bf16]", Void(EncodecBenchmark.Run)),
        ("text", "tokenizer throughput (fixture and synthetic 32k-piece spiece.model) and t5-base encode of a 20-word prompt (random weights)", Void(TextBenchmark.Run)),
        ("lm", "STAGE LM full size, random weights: prefill + guided steps/s for 10 s context + 10 s stem [context] [stem] [text] [--variations N] [--device D] [--precision P]; --quality [steps] [--precision bf16|int8]: logits against f32", LmBenchmark.Run),
        ("plugin-process", "the plugin's process() per 512-sample stereo block: capturing and playing a stem", PluginProcessBenchmark.Run),
        ("plugin-streaming", "the published plugin at 64-sample blocks while stems stream, cancel, engine kill: process() distribution and the plugin's GCs per phase [--real-time]", PluginStreamingBenchmark.Run),
        ("job", "stem job streaming path, full size random weights: time to first streamed audio and total [context s] [stem s] [--device D] [--precision P] [--inline-pieces | --piece-thread] [--repeat N: next takes]", JobBenchmark.Run),
        ("model", "the engine's path on a full-size random model folder (LM, t5-base, EnCodec): load, a first and a next take, peak working set [--precision P] [--threads N]", ModelBenchmark.Run),
    ];

    static Func<string[], int> Void(Action<string[]> run) => args => { run(args); return 0; };

    static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("usage: Stage.Benchmarks NAME [args]");
            foreach (var b in Benchmarks) Console.WriteLine($"  {b.Name,-18} {b.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        foreach (var b in Benchmarks)
        {
            if (b.Name != args[0]) continue;
            Console.WriteLine($"{b.Name}: {b.Summary} ({Environment.ProcessorCount} logical cores)");
            return b.Run(args[1..]);
        }
        Console.Error.WriteLine($"unknown benchmark '{args[0]}'");
        return 2;
    }
}
