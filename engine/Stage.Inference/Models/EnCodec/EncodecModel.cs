using Stage.Inference.Checkpoints;
using Stage.Inference.Kernels;
using Stage.Inference.Tensors;

namespace Stage.Inference.Models.EnCodec;

/// <summary>
/// EnCodec 32 kHz as STAGE uses it: mono audio → SEANet encoder → residual VQ → codes
/// [codebooks, frames] at 50 Hz (hop 640), and back: codes → summed codebook vectors → SEANet
/// decoder → 640 samples per frame (no trimming to an original length).
/// </summary>
public sealed class EncodecModel
{
    readonly SeanetEncoder _encoder;
    readonly ResidualVectorQuantizer _quantizer;
    readonly SeanetDecoder _decoder;

    EncodecModel(EncodecConfig config, SeanetEncoder encoder, ResidualVectorQuantizer quantizer, SeanetDecoder decoder, IComputeBackend backend)
    {
        Config = config;
        Backend = backend;
        _encoder = encoder;
        _quantizer = quantizer;
        _decoder = decoder;
    }

    public EncodecConfig Config { get; }

    /// <summary>Where the layers run.</summary>
    public IComputeBackend Backend { get; }

    public int SampleRate => Config.SampleRate;
    /// <summary>Samples per frame (640).</summary>
    public int HopLength => Config.HopLength;
    public int Codebooks => Config.Codebooks;

    /// <summary>Frames produced for a signal of <paramref name="samples"/> samples: ceil(samples / hop).</summary>
    public int FramesFor(int samples) => (samples + HopLength - 1) / HopLength;

    /// <summary>Builds the codec from the <c>encodec_model.*</c> tensors of a STAGE checkpoint.</summary>
    /// <param name="backend">Where the layers run; null = <see cref="CpuBackend.Instance"/>.</param>
    /// <param name="bfloat16">
    /// Keep the convolutions' and LSTMs' weights as bfloat16 (half the memory, and the LSTM's recurrent step reads half the
    /// bytes); float32 reproduces STAGE's goldens exactly. The quantizer's codebooks stay float32.
    /// </param>
    public static EncodecModel Load(SafetensorsFile file, EncodecConfig config, IComputeBackend? backend = null, bool bfloat16 = false)
    {
        backend ??= CpuBackend.Instance;
        if (config.Channels != 1) throw new CheckpointException($"{file.Path}: EnCodec with {config.Channels} channels is not supported (STAGE uses mono)");
        var encoder = SeanetEncoder.Load(backend, file, config, bfloat16);
        var quantizer = ResidualVectorQuantizer.Load(file, config);
        var decoder = SeanetDecoder.Load(backend, file, config, bfloat16);
        return new EncodecModel(config, encoder, quantizer, decoder, backend);
    }

    public static EncodecModel Load(ModelFolder folder, IComputeBackend? backend = null, bool bfloat16 = false)
    {
        using var file = folder.OpenWeights();
        return Load(file, folder.Config.Encodec, backend, bfloat16);
    }

    /// <summary>Mono audio at <see cref="SampleRate"/> → codes [codebooks, ceil(L/640)].</summary>
    public CodeMatrix Encode(ReadOnlySpan<float> audio) => _quantizer.Encode(EncodeLatent(audio));

    /// <summary>Frames of audio the encoder's convolutions run on at a time: 1 s, about 8 MB per activation (2 s cost a take 60 MB more at its peak; the margins cost about 10% more convolution).</summary>
    public const int EncodeWindowFrames = 50;

    /// <summary>The continuous encoder output [frames, dimension] (time-major; the reference's [1, dim, T] transposed).</summary>
    /// <param name="trace">Optional observer of module outputs ("encoder.model.{i}"), valid during the call only.</param>
    public Tensor EncodeLatent(ReadOnlySpan<float> audio, Action<string, Tensor>? trace = null)
    {
        // Signals shorter than the first conv's reach produce no frame; the reference does the same.
        if (audio.Length == 0) return new Tensor(0, Config.Dimension);
        if (trace is null) return EncodeLatent(audio, EncodeWindowFrames);
        return _encoder.Forward(new Tensor(audio.ToArray(), audio.Length, 1), trace);
    }

    /// <summary>The encoder output with its convolutions run over windows of <paramref name="windowFrames"/> frames (tests).</summary>
    internal Tensor EncodeLatent(ReadOnlySpan<float> audio, int windowFrames) => _encoder.ForwardInWindows(audio, windowFrames);

    /// <summary>Codes → summed codebook vectors [frames, dimension].</summary>
    public Tensor Dequantize(CodeMatrix codes)
    {
        if (codes.Codebooks != Codebooks) throw new ArgumentException($"codes have {codes.Codebooks} codebooks, the model {Codebooks}");
        return _quantizer.Decode(codes);
    }

    /// <summary>
    /// Codes [codebooks, frames] → frames·640 samples. A slice of a longer matrix decodes on its own: its edges differ
    /// from the same span inside a whole decode (the LSTM and conv context do not cross the cut); a sequence whose
    /// codes arrive over time decodes exactly through <see cref="OpenDecodeStream"/>.
    /// </summary>
    public float[] Decode(CodeMatrix codes) => DecodeLatent(Dequantize(codes));

    /// <summary>A decode of <paramref name="totalFrames"/> frames whose codes will arrive one frame at a time, giving exactly <see cref="Decode"/>'s audio.</summary>
    public EncodecDecodeStream OpenDecodeStream(int totalFrames) =>
        new(_quantizer, _decoder, Codebooks, HopLength, totalFrames);

    /// <summary>Latent [frames, dimension] → audio.</summary>
    /// <param name="trace">Optional observer of module outputs ("decoder.model.{i}"), valid during the call only.</param>
    public float[] DecodeLatent(Tensor latent, Action<string, Tensor>? trace = null)
    {
        if (latent.Dim(0) == 0) return [];
        var audio = _decoder.Forward(latent, trace);
        return audio.Buffer.Length == audio.Length ? audio.Buffer : audio.Span.ToArray();
    }
}
