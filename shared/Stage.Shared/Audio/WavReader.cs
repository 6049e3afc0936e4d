using System.Buffers;
using System.Buffers.Binary;
using NAudio.Wave;

namespace Stage.Shared.Audio;

/// <summary>
/// Reads RIFF/WAVE files: integer PCM (16, 24, 32 bits), IEEE float (32, 64 bits), any channel count and rate,
/// plain or WAVE_FORMAT_EXTENSIBLE. NAudio parses the fmt chunk (<see cref="WaveFormat.FromFormatChunk"/>) and
/// converts the samples to float (its sample providers, the same scaling sox uses). The chunk walk up to the data
/// chunk stays ours because NAudio's is lenient where Stage must not be: it shortens a data chunk that declares
/// more bytes than the file holds and stops at a chunk that runs past the end, while a truncated WAV here is an
/// error, never silently shorter audio. Unknown chunks are skipped (with their pad byte when odd-sized); the RIFF
/// size field is not trusted (writers often get it wrong), the chunk sizes are. Every problem is a
/// <see cref="WavFormatException"/> naming the file and the problem.
/// </summary>
public static class WavReader
{
    public const int MinSampleRate = 1000;
    public const int MaxSampleRate = 1_000_000;
    public const int MaxChannels = 64;

    // The fmt chunk's bytes that matter: WAVEFORMATEXTENSIBLE is 40; anything after it is skipped.
    private const int FormatBytesRead = 40;

    // KSDATAFORMAT_SUBTYPE_* GUIDs are {XXXXXXXX-0000-0010-8000-00AA00389B71}; the first two bytes hold the format code.
    private static ReadOnlySpan<byte> SubformatGuidTail => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Reads the whole file as planar float32.</summary>
    public static AudioBuffer Read(string path)
    {
        using var stream = OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads a whole WAV stream as planar float32; <paramref name="fileName"/> is only used in errors.</summary>
    public static AudioBuffer Read(Stream stream, string fileName)
    {
        stream = Seekable(stream);
        var header = ReadHeader(stream, fileName);
        var buffer = new AudioBuffer(header.Format.ChannelCount, FrameCountAsInt(header.Format, fileName), header.Format.SampleRate);
        ReadData(stream, fileName, header, (samples, frameOffset) => Interleaving.Deinterleave(samples, buffer.Channels, frameOffset));
        return buffer;
    }

    /// <summary>Reads the whole file as interleaved float32 frames.</summary>
    public static float[] ReadInterleaved(string path, out WavFormat format)
    {
        using var stream = OpenRead(path);
        return ReadInterleaved(stream, path, out format);
    }

    public static float[] ReadInterleaved(Stream stream, string fileName, out WavFormat format)
    {
        stream = Seekable(stream);
        var header = ReadHeader(stream, fileName);
        format = header.Format;
        var channels = header.Format.ChannelCount;
        var result = new float[checked(FrameCountAsInt(header.Format, fileName) * channels)];
        ReadData(stream, fileName, header, (samples, frameOffset) => samples.CopyTo(result.AsSpan(frameOffset * channels)));
        return result;
    }

    /// <summary>Reads and checks only the header (format and length), without the audio.</summary>
    public static WavFormat ReadFormat(string path)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path).Format;
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);

    /// <summary>A pipe is read into memory first: the chunk walk seeks, and the whole file is read anyway.</summary>
    private static Stream Seekable(Stream stream)
    {
        if (stream.CanSeek)
            return stream;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return copy;
    }

    /// <summary>The format, NAudio's description of it, and where the data chunk starts.</summary>
    private readonly record struct Header(WavFormat Format, WaveFormat Wave, long DataOffset);

    private delegate void SampleSink(ReadOnlySpan<float> interleaved, int frameOffset);

    private static int FrameCountAsInt(WavFormat format, string fileName)
    {
        if (format.FrameCount * format.ChannelCount > Array.MaxLength)
            throw new WavFormatException(fileName, $"{format.FrameCount} frames of {format.ChannelCount} channels is too long to read into memory.");
        return (int)format.FrameCount;
    }

    /// <summary>Walks the chunks up to the data chunk and leaves the stream at its first byte.</summary>
    private static Header ReadHeader(Stream stream, string fileName)
    {
        Span<byte> riff = stackalloc byte[12];
        var got = stream.ReadAtLeast(riff, riff.Length, throwOnEndOfStream: false);
        if (got >= 4 && riff[..4].SequenceEqual("RIFX"u8))
            throw new WavFormatException(fileName, "big-endian RIFX WAV files are not supported.");
        if (got >= 4 && riff[..4].SequenceEqual("RF64"u8))
            throw new WavFormatException(fileName, "RF64 (64-bit) WAV files are not supported.");
        if (got < 12 || !riff[..4].SequenceEqual("RIFF"u8) || !riff[8..12].SequenceEqual("WAVE"u8))
        {
            if (got < 12 && got >= 4 && riff[..4].SequenceEqual("RIFF"u8))
                throw new WavFormatException(fileName, $"truncated header: the file ends after {got} bytes.");
            throw new WavFormatException(fileName, got == 0 ? "not a WAV file: the file is empty." : "not a WAV file: no RIFF/WAVE signature.");
        }

        Span<byte> chunkHeader = stackalloc byte[8];
        WaveFormat? wave = null;
        WavSampleFormat sampleFormat = default;
        while (true)
        {
            got = stream.ReadAtLeast(chunkHeader, chunkHeader.Length, throwOnEndOfStream: false);
            if (got < 8)
            {
                if (wave is null)
                    throw new WavFormatException(fileName, got == 0 ? "no fmt chunk before the end of the file (truncated header?)." : "truncated header: the file ends inside a chunk header.");
                throw new WavFormatException(fileName, got == 0 ? "no data chunk (truncated file?)." : "truncated: the file ends inside a chunk header before the data chunk.");
            }
            var id = chunkHeader[..4];
            var size = BinaryPrimitives.ReadUInt32LittleEndian(chunkHeader[4..]);
            var remaining = stream.Length - stream.Position;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                    throw new WavFormatException(fileName, $"corrupt: fmt chunk is {size} bytes, at least 16 expected.");
                var keep = (int)Math.Min(size, FormatBytesRead);
                if (remaining < keep)
                    throw new WavFormatException(fileName, "truncated header: the file ends inside the fmt chunk.");
                using (var reader = new BinaryReader(stream, System.Text.Encoding.ASCII, leaveOpen: true))
                    wave = WaveFormat.FromFormatChunk(reader, keep);
                Skip(stream, fileName, size - (uint)keep + (size & 1), "fmt");
                sampleFormat = CheckFormat(wave, fileName);
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (wave is null)
                    throw new WavFormatException(fileName, "corrupt: data chunk comes before the fmt chunk.");
                if (size > remaining)
                    throw new WavFormatException(fileName, $"truncated: the data chunk declares {size} bytes but only {remaining} remain in the file.");
                if (size % (uint)wave.BlockAlign != 0)
                    throw new WavFormatException(fileName, $"corrupt: the data chunk's {size} bytes are not a whole number of {wave.BlockAlign}-byte frames.");
                return new Header(new WavFormat(wave.SampleRate, wave.Channels, sampleFormat, size / wave.BlockAlign), wave, stream.Position);
            }
            else
            {
                Skip(stream, fileName, size + (size & 1), PrintableId(id));
            }
        }
    }

    /// <summary>What Stage reads of what NAudio parsed: integer PCM or IEEE float, plain or through the
    /// WAVE_FORMAT_EXTENSIBLE subformat, with sane channels, rate and block alignment.</summary>
    private static WavSampleFormat CheckFormat(WaveFormat wave, string fileName)
    {
        var code = (ushort)wave.Encoding;
        if (wave.Encoding == WaveFormatEncoding.Extensible)
        {
            if (wave is not WaveFormatExtraData { ExtraSize: >= 22 } extensible)
                throw new WavFormatException(fileName, "corrupt: WAVE_FORMAT_EXTENSIBLE fmt chunk is too short to hold its subformat GUID.");
            // After wValidBitsPerSample (2 bytes) and dwChannelMask (4) comes the subformat GUID.
            var guid = extensible.ExtraData.AsSpan(6, 16);
            if (!guid[2..].SequenceEqual(SubformatGuidTail))
                throw new WavFormatException(fileName, $"unsupported WAVE_FORMAT_EXTENSIBLE subformat GUID {new Guid(guid)}.");
            code = BinaryPrimitives.ReadUInt16LittleEndian(guid);
        }

        var channels = (ushort)wave.Channels;
        var sampleRate = (uint)wave.SampleRate;
        var bits = (ushort)wave.BitsPerSample;
        if (channels == 0)
            throw new WavFormatException(fileName, "corrupt: the fmt chunk says 0 channels.");
        if (channels > MaxChannels)
            throw new WavFormatException(fileName, $"unsupported: {channels} channels (at most {MaxChannels}).");
        if (sampleRate < MinSampleRate || sampleRate > MaxSampleRate)
            throw new WavFormatException(fileName, $"unsupported sample rate {sampleRate} Hz (expected {MinSampleRate} to {MaxSampleRate} Hz).");

        WavSampleFormat format;
        if (code == (ushort)WaveFormatEncoding.Pcm)
        {
            format = bits switch
            {
                16 => WavSampleFormat.Pcm16,
                24 => WavSampleFormat.Pcm24,
                32 => WavSampleFormat.Pcm32,
                8 => throw new WavFormatException(fileName, "unsupported: 8-bit PCM (only 16-, 24- and 32-bit integer PCM and 32/64-bit float are read)."),
                _ => throw new WavFormatException(fileName, $"unsupported: {bits}-bit integer PCM (only 16, 24 and 32 bits are read)."),
            };
        }
        else if (code == (ushort)WaveFormatEncoding.IeeeFloat)
        {
            format = bits switch
            {
                32 => WavSampleFormat.Float32,
                64 => WavSampleFormat.Float64,
                _ => throw new WavFormatException(fileName, $"corrupt: IEEE float with {bits} bits per sample (32 or 64 expected)."),
            };
        }
        else
        {
            throw new WavFormatException(fileName, $"unsupported encoding {FormatName(code)} (format code 0x{code:X4}); only integer PCM and IEEE float are read.");
        }

        var blockAlign = (ushort)wave.BlockAlign;
        var expectedAlign = channels * format.BytesPerSample();
        if (blockAlign != expectedAlign)
            throw new WavFormatException(fileName, $"corrupt: block align is {blockAlign} bytes but {channels} channels of {format} need {expectedAlign}.");
        return format;
    }

    private static string FormatName(ushort code) => code switch
    {
        0x0002 => "Microsoft ADPCM",
        0x0006 => "A-law",
        0x0007 => "mu-law",
        0x0011 => "IMA ADPCM",
        0x0031 => "GSM 6.10",
        0x0050 => "MPEG",
        0x0055 => "MPEG layer 3",
        0x0000 => "unknown",
        _ => "compressed or vendor-specific",
    };

    /// <summary>The data chunk through NAudio's sample providers, in blocks, as interleaved float32.</summary>
    private static void ReadData(Stream stream, string fileName, Header header, SampleSink sink)
    {
        var format = header.Format;
        stream.Position = header.DataOffset;
        // Extensible files are read under their subformat's plain tag: the sample bytes are the same.
        var samples = new RawSourceWaveStream(stream, header.Wave.AsStandardWaveFormat()).ToSampleProvider();
        var framesPerRead = Math.Max(1, (1 << 16) / (format.ChannelCount * format.SampleFormat.BytesPerSample()));
        var block = ArrayPool<float>.Shared.Rent(framesPerRead * format.ChannelCount);
        try
        {
            long done = 0;
            while (done < format.FrameCount)
            {
                var frames = (int)Math.Min(framesPerRead, format.FrameCount - done);
                var decoded = block.AsSpan(0, frames * format.ChannelCount);
                var got = samples.Read(decoded);
                if (got < decoded.Length)
                    throw new WavFormatException(fileName, $"truncated: the data chunk declares {format.FrameCount} frames but the file ends after {done + got / format.ChannelCount}.");
                sink(decoded, (int)done);
                done += frames;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(block);
        }
    }

    private static void Skip(Stream stream, string fileName, long count, string chunk)
    {
        if (stream.Position + count > stream.Length)
        {
            // A missing pad byte after the last chunk is common and harmless; anything more is truncation.
            if (stream.Position + count - 1 == stream.Length && (count & 1) == 1)
            {
                stream.Position = stream.Length;
                return;
            }
            throw new WavFormatException(fileName, $"truncated: the '{chunk}' chunk declares more bytes than the file holds.");
        }
        stream.Seek(count, SeekOrigin.Current);
    }

    private static string PrintableId(ReadOnlySpan<byte> id)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
            chars[i] = id[i] is >= 0x20 and < 0x7F ? (char)id[i] : '?';
        return new string(chars);
    }
}
