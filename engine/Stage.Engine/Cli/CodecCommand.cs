using System.CommandLine;
using System.Text.Json;
using Stage.Inference.Checkpoints;
using Stage.Inference.Models.EnCodec;
using Stage.Shared.Audio;
using Stage.Shared.Audio.Resampling;

namespace Stage.Engine.Cli;

/// <summary>
/// `stage-engine codec encode IN.wav --model DIR --out codes.json` and
/// `stage-engine codec decode codes.json --model DIR --out OUT.wav`: the model folder's EnCodec on its own.
/// </summary>
public sealed class CodecCommand : Command
{
    public CodecCommand() : base("codec", "EnCodec: audio file -> codes JSON, codes JSON -> audio file")
    {
        Add(new Direction("encode", "IN.wav", "codes.json", "audio file -> codes JSON",
            """
            Reads a WAV (PCM 16/24/32-bit or float, any rate and channel count), mixes it to mono, resamples it
            to 32 kHz and writes its EnCodec codes as {"frames": F, "codebooks": 4, "codes": [[F ints] x 4]}
            (50 frames per second).
            """));
        Add(new Direction("decode", "codes.json", "OUT.wav", "codes JSON -> audio file",
            """
            Reads a codes file written by encode and writes the decoded audio: float32 mono 32 kHz WAV, 640 samples
            per frame.
            """));
    }

    /// <summary>`codec encode` or `codec decode`: one input file, the model, one output file.</summary>
    sealed class Direction : EngineCommand
    {
        readonly Argument<string> _input;
        readonly Option<string> _model = SharedOptions.Model("model folder (model.safetensors, optional config.json)");
        readonly Option<string> _output;
        readonly DeviceOptions _device = new();
        readonly Option<Stage.Inference.Gpu.WeightPrecision?> _precision = new("--precision")
        {
            Description = "how EnCodec's convolutions and LSTMs are stored: f32 (the default: STAGE's codes and audio exactly) or bf16 "
                + "(as the engine keeps them below an f32 language model: half the memory, audio about 55 dB from f32's)",
            HelpName = "f32|bf16",
            CustomParser = OptionValues.OneOf<Stage.Inference.Gpu.WeightPrecision>(["f32", "bf16"],
                text => text is "f32" or "bf16" && Stage.Inference.Gpu.WeightPrecisions.TryParse(text, out var p) ? p : null),
        };

        public Direction(string name, string input, string output, string description, string details) : base(name, description)
        {
            Details = details;
            _input = new Argument<string>(input) { Description = $"the {input} to {name}" };
            _output = SharedOptions.Out(output, "output file");
            Add(_input);
            Add(_model);
            Add(_output);
            _device.AddDeviceTo(this);
            Add(_precision);
        }

        protected override int Run(ParseResult result, TextWriter stdout, TextWriter stderr, CancellationToken cancel)
        {
            var selection = DeviceOptions.Choose(_device.Read(result).Kind, Stage.Inference.Gpu.WeightPrecision.Float32);
            using var device = selection.Device;
            stderr.WriteLine($"stage-engine codec {Name}: {selection.Message}");
            return CodecCommand.Run(Name, result.GetRequiredValue(_input), result.GetRequiredValue(_model), result.GetRequiredValue(_output),
                device.CodecBackend, result.GetValue(_precision) == Stage.Inference.Gpu.WeightPrecision.BFloat16, stdout, stderr, cancel);
        }
    }

    static int Run(string mode, string input, string model, string output, Stage.Inference.Kernels.IComputeBackend backend, bool bfloat16,
        TextWriter stdout, TextWriter stderr, CancellationToken cancel)
    {
        try
        {
            cancel.ThrowIfCancellationRequested();
            var folder = ModelFolder.Open(model);
            var codec = EncodecModel.Load(folder, backend, bfloat16);
            cancel.ThrowIfCancellationRequested();
            if (mode == "encode")
            {
                var audio = ReadMono(input, codec.SampleRate);
                var codes = codec.Encode(audio);
                WriteCodes(output, codes);
                stdout.WriteLine($"{input}: {audio.Length} samples at {codec.SampleRate} Hz -> {codes.Frames} frames x {codes.Codebooks} codebooks -> {output}");
            }
            else
            {
                var codes = ReadCodes(input, codec.Codebooks, codec.Config.Bins);
                var audio = codec.Decode(codes);
                WavWriter.Write(output, new AudioBuffer([audio], codec.SampleRate), WavSampleFormat.Float32);
                stdout.WriteLine($"{input}: {codes.Frames} frames -> {audio.Length} samples at {codec.SampleRate} Hz -> {output}");
            }
            return 0;
        }
        catch (Exception e) when (e is CheckpointException or WavFormatException or CodesFileException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"stage-engine codec {mode}: {e.Message}");
            return 1;
        }
    }

    /// <summary>The file mixed to mono (channel mean) and resampled to the codec's rate.</summary>
    static float[] ReadMono(string path, int sampleRate)
    {
        var buffer = WavReader.Read(path);
        var mono = buffer.ChannelCount == 1 ? buffer : ChannelMix.ToMono(buffer);
        var samples = mono.Channel(0);
        return mono.SampleRate == sampleRate ? samples : SampleRateConverter.Resample(samples, mono.SampleRate, sampleRate);
    }

    sealed class CodesFileException(string message) : Exception(message);

    public static void WriteCodes(string path, CodeMatrix codes)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteNumber("frames", codes.Frames);
        json.WriteNumber("codebooks", codes.Codebooks);
        json.WriteStartArray("codes");
        for (int q = 0; q < codes.Codebooks; q++)
        {
            json.WriteStartArray();
            foreach (int code in codes.Codebook(q)) json.WriteNumberValue(code);
            json.WriteEndArray();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Reads a codes file written by encode (or by anyone following its format), checking every field.</summary>
    public static CodeMatrix ReadCodes(string path, int codebooks, int bins)
    {
        if (!File.Exists(path)) throw new CodesFileException($"{path}: file not found");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new CodesFileException($"{path}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CodesFileException($"{path}: expected a JSON object with frames, codebooks and codes");
            int frames = Integer(root, "frames", path);
            int fileCodebooks = Integer(root, "codebooks", path);
            if (fileCodebooks != codebooks) throw new CodesFileException($"{path}: {fileCodebooks} codebooks, the model uses {codebooks}");
            if (!root.TryGetProperty("codes", out var rows) || rows.ValueKind != JsonValueKind.Array)
                throw new CodesFileException($"{path}: missing \"codes\" array");
            if (rows.GetArrayLength() != codebooks) throw new CodesFileException($"{path}: \"codes\" has {rows.GetArrayLength()} rows, expected {codebooks}");
            var matrix = new CodeMatrix(codebooks, frames);
            int q = 0;
            foreach (var row in rows.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != frames)
                    throw new CodesFileException($"{path}: codes row {q} must be an array of {frames} integers");
                int t = 0;
                foreach (var v in row.EnumerateArray())
                {
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int code))
                        throw new CodesFileException($"{path}: codes[{q}][{t}] is not an integer");
                    if (code < 0 || code >= bins) throw new CodesFileException($"{path}: codes[{q}][{t}] = {code} is outside [0, {bins})");
                    matrix[q, t++] = code;
                }
                q++;
            }
            return matrix;
        }
    }

    static int Integer(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int value) || value < 0)
            throw new CodesFileException($"{path}: \"{name}\" must be a non-negative integer");
        return value;
    }
}
