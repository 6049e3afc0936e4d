using System.Buffers;
using System.Buffers.Binary;

namespace Stage.Shared.Audio;

/// <summary>
/// Reads RIFF/WAVE files: integer PCM (16, 24, 32 bits), IEEE float (32, 64 bits), any channel count and rate,
/// plain or WAVE_FORMAT_EXTENSIBLE. Unknown chunks are skipped (with their pad byte when odd-sized); the RIFF size
/// field is not trusted (writers often get it wrong), the chunk sizes are. Anything else raises a
/// <see cref="WavFormatException"/> naming the file and the problem; in particular a data chunk that declares more
/// bytes than the file holds is an error ("truncated"), never silently shortened audio.
/// </summary>
public static class WavReader
{
    public const int MinSampleRate = 1000;
    public const int MaxSampleRate = 1_000_000;
    public const int MaxChannels = 64;

    private const ushort FormatPcm = 0x0001;
    private const ushort FormatIeeeFloat = 0x0003;
    private const ushort FormatExtensible = 0xFFFE;

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
        var header = ReadHeader(stream, fileName);
        var frames = FrameCountAsInt(header, fileName);
        var buffer = new AudioBuffer(header.Format.ChannelCount, frames, header.Format.SampleRate);
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
        var header = ReadHeader(stream, fileName);
        format = header.Format;
        var channels = header.Format.ChannelCount;
        var result = new float[checked(FrameCountAsInt(header, fileName) * channels)];
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

    private readonly record struct Header(WavFormat Format, int BlockAlign);

    private delegate void SampleSink(ReadOnlySpan<float> interleaved, int frameOffset);

    private static int FrameCountAsInt(Header header, string fileName)
    {
        if (header.Format.FrameCount * header.Format.ChannelCount > Array.MaxLength)
            throw new WavFormatException(fileName, $"{header.Format.FrameCount} frames of {header.Format.ChannelCount} channels is too long to read into memory.");
        return (int)header.Format.FrameCount;
    }

    /// <summary>Walks the chunks up to the data chunk and leaves the stream at its first byte.</summary>
    private static Header ReadHeader(Stream stream, string fileName)
    {
        Span<byte> riff = stackalloc byte[12];
        var got = ReadUpTo(stream, riff);
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
        Span<byte> fmt = stackalloc byte[40];
        var haveFormat = false;
        WavSampleFormat sampleFormat = default;
        int channels = 0, sampleRate = 0, blockAlign = 0;
        while (true)
        {
            got = ReadUpTo(stream, chunkHeader);
            if (got < 8)
            {
                if (!haveFormat)
                    throw new WavFormatException(fileName, got == 0 ? "no fmt chunk before the end of the file (truncated header?)." : "truncated header: the file ends inside a chunk header.");
                throw new WavFormatException(fileName, got == 0 ? "no data chunk (truncated file?)." : "truncated: the file ends inside a chunk header before the data chunk.");
            }
            var id = chunkHeader[..4];
            var size = BinaryPrimitives.ReadUInt32LittleEndian(chunkHeader[4..]);
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                    throw new WavFormatException(fileName, $"corrupt: fmt chunk is {size} bytes, at least 16 expected.");
                var keep = (int)Math.Min(size, (uint)fmt.Length);
                if (ReadUpTo(stream, fmt[..keep]) < keep)
                    throw new WavFormatException(fileName, "truncated header: the file ends inside the fmt chunk.");
                Skip(stream, fileName, size - (uint)keep + (size & 1), "fmt");
                (sampleFormat, channels, sampleRate, blockAlign) = ParseFormat(fmt[..keep], fileName);
                haveFormat = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFormat)
                    throw new WavFormatException(fileName, "corrupt: data chunk comes before the fmt chunk.");
                if (stream.CanSeek)
                {
                    var remaining = stream.Length - stream.Position;
                    if (size > remaining)
                        throw new WavFormatException(fileName, $"truncated: the data chunk declares {size} bytes but only {remaining} remain in the file.");
                }
                if (size % (uint)blockAlign != 0)
                    throw new WavFormatException(fileName, $"corrupt: the data chunk's {size} bytes are not a whole number of {blockAlign}-byte frames.");
                return new Header(new WavFormat(sampleRate, channels, sampleFormat, size / blockAlign), blockAlign);
            }
            else
            {
                Skip(stream, fileName, size + (size & 1), PrintableId(id));
            }
        }
    }

    private static (WavSampleFormat Format, int Channels, int SampleRate, int BlockAlign) ParseFormat(ReadOnlySpan<byte> fmt, string fileName)
    {
        var tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        var sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);

        var code = tag;
        if (tag == FormatExtensible)
        {
            var cbSize = fmt.Length >= 18 ? BinaryPrimitives.ReadUInt16LittleEndian(fmt[16..]) : 0;
            if (cbSize < 22 || fmt.Length < 40)
                throw new WavFormatException(fileName, "corrupt: WAVE_FORMAT_EXTENSIBLE fmt chunk is too short to hold its subformat GUID.");
            var guid = fmt.Slice(24, 16);
            if (!guid[2..].SequenceEqual(SubformatGuidTail))
                throw new WavFormatException(fileName, $"unsupported WAVE_FORMAT_EXTENSIBLE subformat GUID {new Guid(guid)}.");
            code = BinaryPrimitives.ReadUInt16LittleEndian(guid);
        }

        if (channels == 0)
            throw new WavFormatException(fileName, "corrupt: the fmt chunk says 0 channels.");
        if (channels > MaxChannels)
            throw new WavFormatException(fileName, $"unsupported: {channels} channels (at most {MaxChannels}).");
        if (sampleRate < MinSampleRate || sampleRate > MaxSampleRate)
            throw new WavFormatException(fileName, $"unsupported sample rate {sampleRate} Hz (expected {MinSampleRate} to {MaxSampleRate} Hz).");

        WavSampleFormat format;
        if (code == FormatPcm)
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
        else if (code == FormatIeeeFloat)
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

        var expectedAlign = channels * format.BytesPerSample();
        if (blockAlign != expectedAlign)
            throw new WavFormatException(fileName, $"corrupt: block align is {blockAlign} bytes but {channels} channels of {format} need {expectedAlign}.");
        return (format, channels, (int)sampleRate, blockAlign);
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

    private static void ReadData(Stream stream, string fileName, Header header, SampleSink sink)
    {
        var format = header.Format;
        var framesPerRead = Math.Max(1, (1 << 16) / header.BlockAlign);
        var bytes = ArrayPool<byte>.Shared.Rent(framesPerRead * header.BlockAlign);
        var samples = ArrayPool<float>.Shared.Rent(framesPerRead * format.ChannelCount);
        try
        {
            long done = 0;
            while (done < format.FrameCount)
            {
                var frames = (int)Math.Min(framesPerRead, format.FrameCount - done);
                var byteCount = frames * header.BlockAlign;
                var got = ReadUpTo(stream, bytes.AsSpan(0, byteCount));
                if (got < byteCount)
                    throw new WavFormatException(fileName, $"truncated: the data chunk declares {format.FrameCount} frames but the file ends after {done + got / header.BlockAlign}.");
                var decoded = samples.AsSpan(0, frames * format.ChannelCount);
                Decode(bytes.AsSpan(0, byteCount), format.SampleFormat, decoded);
                sink(decoded, (int)done);
                done += frames;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
            ArrayPool<float>.Shared.Return(samples);
        }
    }

    /// <summary>Little-endian stored samples to float32 at full scale ±1.</summary>
    internal static void Decode(ReadOnlySpan<byte> bytes, WavSampleFormat format, Span<float> samples)
    {
        switch (format)
        {
            case WavSampleFormat.Pcm16:
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]) * (1f / 32768f);
                break;
            case WavSampleFormat.Pcm24:
                for (int i = 0, b = 0; i < samples.Length; i++, b += 3)
                    samples[i] = (bytes[b] | (bytes[b + 1] << 8) | ((sbyte)bytes[b + 2] << 16)) * (1f / 8388608f);
                break;
            case WavSampleFormat.Pcm32:
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = (float)(BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]) * (1.0 / 2147483648.0));
                break;
            case WavSampleFormat.Float32:
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case WavSampleFormat.Float64:
                for (var i = 0; i < samples.Length; i++)
                    samples[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown WAV sample format.");
        }
    }

    private static void Skip(Stream stream, string fileName, long count, string chunk)
    {
        if (count == 0)
            return;
        if (stream.CanSeek)
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
            return;
        }
        Span<byte> scratch = stackalloc byte[4096];
        while (count > 0)
        {
            var got = stream.Read(scratch[..(int)Math.Min(count, scratch.Length)]);
            if (got == 0)
            {
                if (count == 1)
                    return;
                throw new WavFormatException(fileName, $"truncated: the '{chunk}' chunk declares more bytes than the file holds.");
            }
            count -= got;
        }
    }

    private static int ReadUpTo(Stream stream, Span<byte> destination)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var got = stream.Read(destination[total..]);
            if (got == 0)
                break;
            total += got;
        }
        return total;
    }

    private static string PrintableId(ReadOnlySpan<byte> id)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
            chars[i] = id[i] is >= 0x20 and < 0x7F ? (char)id[i] : '?';
        return new string(chars);
    }
}
