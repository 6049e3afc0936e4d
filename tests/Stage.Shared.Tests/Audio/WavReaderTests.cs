using System.Buffers.Binary;
using Stage.Shared.Audio;

namespace Stage.Shared.Tests.Audio;

public class WavReaderTests
{
    private static AudioBuffer Read(byte[] bytes, string name = "test.wav") => WavReader.Read(new MemoryStream(bytes), name);

    private static WavFormatException Fails(byte[] bytes, string expectedProblem)
    {
        var error = Assert.Throws<WavFormatException>(() => Read(bytes, "song.wav"));
        Assert.Contains(expectedProblem, error.Message);
        Assert.StartsWith("song.wav: ", error.Message);
        Assert.Equal("song.wav", error.FileName);
        return error;
    }

    [Fact]
    public void ReadsPcm16Stereo()
    {
        var bytes = WavBytes.Riff().Fmt(1, 2, 44100, 16).Data(WavBytes.Int16Samples(16384, -32768, 0, 32767)).ToArray();
        var audio = Read(bytes);
        Assert.Equal(44100, audio.SampleRate);
        Assert.Equal(2, audio.ChannelCount);
        Assert.Equal([0.5f, 0f], audio.Channel(0));
        Assert.Equal([-1f, 32767f / 32768f], audio.Channel(1));
    }

    [Fact]
    public void ReadsPcm24WithSignExtension()
    {
        var bytes = WavBytes.Riff().Fmt(1, 1, 48000, 24).Data([0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF]).ToArray();
        Assert.Equal([-1f, 8388607f / 8388608f, 1f / 8388608f, -1f / 8388608f], Read(bytes).Channel(0));
    }

    [Fact]
    public void ReadsPcm32AndFloat32AndFloat64()
    {
        var pcm32 = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(pcm32, int.MinValue);
        BinaryPrimitives.WriteInt32LittleEndian(pcm32.AsSpan(4), 1 << 30);
        Assert.Equal([-1f, 0.5f], Read(WavBytes.Riff().Fmt(1, 1, 32000, 32).Data(pcm32).ToArray()).Channel(0));

        var f32 = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(f32, 0.25f);
        BinaryPrimitives.WriteSingleLittleEndian(f32.AsSpan(4), -1.5f); // float may exceed full scale; kept as is
        Assert.Equal([0.25f, -1.5f], Read(WavBytes.Riff().Fmt(3, 1, 32000, 32, withCbSize: true).Data(f32).ToArray()).Channel(0));

        var f64 = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(f64, 0.125);
        BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), -0.75);
        Assert.Equal([0.125f, -0.75f], Read(WavBytes.Riff().Fmt(3, 1, 32000, 64).Data(f64).ToArray()).Channel(0));
    }

    [Fact]
    public void ReadsWaveFormatExtensible()
    {
        var pcm = WavBytes.Riff().FmtExtensible(1, 2, 96000, 24, 20, 0x3).Data([0, 0, 0x40, 0, 0, 0xC0]).ToArray();
        var audio = Read(pcm);
        Assert.Equal(96000, audio.SampleRate);
        Assert.Equal([0.5f], audio.Channel(0));
        Assert.Equal([-0.5f], audio.Channel(1));

        var f32 = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(f32, 0.75f);
        Assert.Equal([0.75f], Read(WavBytes.Riff().FmtExtensible(3, 1, 32000, 32, 32, 0x4).Data(f32).ToArray()).Channel(0));
    }

    [Fact]
    public void ReadsAnyChannelCountAndRate()
    {
        var samples = new short[6 * 3];
        for (var i = 0; i < samples.Length; i++)
            samples[i] = (short)(i * 100);
        var audio = Read(WavBytes.Riff().Fmt(1, 6, 22050, 16).Data(WavBytes.Int16Samples(samples)).ToArray());
        Assert.Equal(6, audio.ChannelCount);
        Assert.Equal(3, audio.FrameCount);
        Assert.Equal(22050, audio.SampleRate);
        Assert.Equal(1300 / 32768f, audio.Channel(1)[2]); // frame 2, channel 1 = sample 13
    }

    [Fact]
    public void SkipsUnknownAndOddSizedChunksWithTheirPadByte()
    {
        var bytes = WavBytes.Riff()
            .Chunk("JUNK", new byte[7]) // odd size: one pad byte follows
            .Fmt(1, 1, 44100, 16)
            .Chunk("LIST", [(byte)'I', (byte)'N', (byte)'F', (byte)'O', 1, 2, 3])
            .Chunk("bext", new byte[3])
            .Data(WavBytes.Int16Samples(8192, -8192))
            .Chunk("id3 ", new byte[5])
            .ToArray();
        Assert.Equal([0.25f, -0.25f], Read(bytes).Channel(0));
    }

    [Fact]
    public void ToleratesAWrongRiffSizeAndAMissingFinalPadByte()
    {
        var bytes = WavBytes.Riff().Fmt(1, 1, 44100, 16).Chunk("JUNK", new byte[1]).Data(WavBytes.Int16Samples(100)).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 0xFFFFFFFF);
        Assert.Single(Read(bytes).Channel(0));

        // An odd trailing chunk whose pad byte was never written is harmless.
        var unpadded = WavBytes.Riff().Fmt(1, 1, 44100, 16).Chunk("JUNK", new byte[3]).Data(WavBytes.Int16Samples(100)).ToArray();
        Assert.Single(Read(unpadded).Channel(0));
    }

    [Fact]
    public void ReadsInterleavedAndTheHeaderAlone()
    {
        using var folder = new TempFolder();
        var path = folder.File("x.wav");
        File.WriteAllBytes(path, WavBytes.Riff().Fmt(1, 2, 48000, 16).Data(WavBytes.Int16Samples(16384, -16384, 8192, -8192)).ToArray());
        Assert.Equal([0.5f, -0.5f, 0.25f, -0.25f], WavReader.ReadInterleaved(path, out var format));
        Assert.Equal(new WavFormat(48000, 2, WavSampleFormat.Pcm16, 2), format);
        Assert.Equal(format, WavReader.ReadFormat(path));
        Assert.Equal(2, WavReader.Read(path).FrameCount);
    }

    [Fact]
    public void NonSeekableStreamsWork()
    {
        var bytes = WavBytes.Riff().Chunk("JUNK", new byte[5]).Fmt(1, 1, 44100, 16).Data(WavBytes.Int16Samples(16384)).ToArray();
        Assert.Equal([0.5f], WavReader.Read(new ForwardOnlyStream(bytes), "pipe").Channel(0));
        var truncated = bytes[..^1];
        Assert.Contains("truncated", Assert.Throws<WavFormatException>(() => WavReader.Read(new ForwardOnlyStream(truncated), "pipe")).Message);
    }

    // --- Errors ---

    [Fact]
    public void EmptyFile() => Fails([], "not a WAV file: the file is empty");

    [Fact]
    public void NotAWavFile() => Fails("ID3\u0004 this is an mp3 really, long enough"u8.ToArray(), "not a WAV file");

    [Fact]
    public void RiffButNotWave() => Fails(WavBytes.Riff().ToArray().Select((b, i) => i >= 8 ? (byte)'X' : b).ToArray(), "not a WAV file");

    [Fact]
    public void BigEndianAndRf64AreNamed()
    {
        Fails("RIFX\0\0\0\0WAVE"u8.ToArray(), "RIFX");
        Fails("RF64\0\0\0\0WAVE"u8.ToArray(), "RF64");
    }

    [Fact]
    public void TruncatedHeader()
    {
        Fails("RIFF\0\0"u8.ToArray(), "truncated header");
        var full = WavBytes.Riff().Fmt(1, 1, 44100, 16).Data(WavBytes.Int16Samples(1, 2)).ToArray();
        Fails(full[..20], "truncated header"); // ends inside the fmt chunk
        Fails(full[..14], "truncated header"); // ends inside the fmt chunk's header
        Fails(full[..12], "no fmt chunk");
    }

    [Fact]
    public void TruncatedData()
    {
        var full = WavBytes.Riff().Fmt(1, 1, 44100, 16).Data(WavBytes.Int16Samples(1, 2, 3, 4)).ToArray();
        var error = Fails(full[..^2], "truncated: the data chunk declares 8 bytes but only 6 remain");
        Assert.Contains("song.wav", error.Message);
        Fails(full[..^8], "truncated: the data chunk declares 8 bytes but only 0 remain");
    }

    [Fact]
    public void NoDataChunk() => Fails(WavBytes.Riff().Fmt(1, 1, 44100, 16).Chunk("LIST", new byte[4]).ToArray(), "no data chunk");

    [Fact]
    public void DataBeforeFormat() => Fails(WavBytes.Riff().Data(new byte[4]).Fmt(1, 1, 44100, 16).ToArray(), "data chunk comes before the fmt chunk");

    [Fact]
    public void ChunkLargerThanTheFile() =>
        Fails(WavBytes.Riff().Fmt(1, 1, 44100, 16).Chunk("LIST", new byte[4], declaredSize: 1000).ToArray(), "'LIST' chunk declares more bytes than the file holds");

    [Fact]
    public void PartialFrameIsCorrupt() =>
        Fails(WavBytes.Riff().Fmt(1, 2, 44100, 16).Data(new byte[6]).ToArray(), "not a whole number of 4-byte frames");

    [Fact]
    public void ShortFormatChunk() =>
        Fails(WavBytes.Riff().Chunk("fmt ", new byte[14]).Data(new byte[2]).ToArray(), "fmt chunk is 14 bytes, at least 16 expected");

    [Theory]
    [InlineData(0x0002, "Microsoft ADPCM")]
    [InlineData(0x0011, "IMA ADPCM")]
    [InlineData(0x0006, "A-law")]
    [InlineData(0x0007, "mu-law")]
    [InlineData(0x0055, "MPEG layer 3")]
    [InlineData(0x1234, "compressed or vendor-specific")]
    public void UnsupportedFormatCodes(int tag, string name)
    {
        var error = Fails(WavBytes.Riff().Fmt(tag, 1, 44100, 4, blockAlign: 256).Data(new byte[256]).ToArray(), "unsupported encoding");
        Assert.Contains(name, error.Message);
        Assert.Contains($"0x{tag:X4}", error.Message);
    }

    [Fact]
    public void EightBitPcmIsUnsupported() =>
        Fails(WavBytes.Riff().Fmt(1, 1, 8000, 8).Data(new byte[4]).ToArray(), "unsupported: 8-bit PCM");

    [Fact]
    public void OddBitDepthsAreUnsupported()
    {
        Fails(WavBytes.Riff().Fmt(1, 1, 44100, 20, blockAlign: 3).Data(new byte[3]).ToArray(), "unsupported: 20-bit integer PCM");
        Fails(WavBytes.Riff().Fmt(3, 1, 44100, 16).Data(new byte[2]).ToArray(), "IEEE float with 16 bits");
    }

    [Fact]
    public void ZeroChannels() => Fails(WavBytes.Riff().Fmt(1, 0, 44100, 16, blockAlign: 2).Data(new byte[2]).ToArray(), "0 channels");

    [Fact]
    public void TooManyChannels() => Fails(WavBytes.Riff().Fmt(1, 65, 44100, 16).Data(new byte[130]).ToArray(), "65 channels");

    [Theory]
    [InlineData(0u)]
    [InlineData(10u)]
    [InlineData(4_000_000_000u)]
    public void AbsurdSampleRates(uint rate)
    {
        var bytes = WavBytes.Riff().Ascii("fmt ").UInt32(16).UInt16(1).UInt16(1).UInt32(rate).UInt32(rate * 2).UInt16(2).UInt16(16)
            .Data(new byte[2]).ToArray();
        Fails(bytes, $"unsupported sample rate {rate} Hz");
    }

    [Fact]
    public void WrongBlockAlign() =>
        Fails(WavBytes.Riff().Fmt(1, 2, 44100, 16, blockAlign: 3).Data(new byte[6]).ToArray(), "block align is 3 bytes but 2 channels of Pcm16 need 4");

    [Fact]
    public void ExtensibleWithAForeignGuid()
    {
        byte[] foreignTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x72];
        Fails(WavBytes.Riff().FmtExtensible(1, 1, 44100, 16, 16, 4, foreignTail).Data(new byte[2]).ToArray(), "unsupported WAVE_FORMAT_EXTENSIBLE subformat GUID");
        Fails(WavBytes.Riff().FmtExtensible(2, 1, 44100, 16, 16, 4).Data(new byte[2]).ToArray(), "Microsoft ADPCM");
    }

    [Fact]
    public void ExtensibleTooShort() =>
        Fails(WavBytes.Riff().Fmt(0xFFFE, 1, 44100, 16, withCbSize: true).Data(new byte[2]).ToArray(), "too short to hold its subformat GUID");

    [Fact]
    public void MissingFileIsAFileNotFoundError() =>
        Assert.Throws<FileNotFoundException>(() => WavReader.Read(Path.Combine(Path.GetTempPath(), "no-such-stage-file.wav")));

    /// <summary>A stream that cannot seek, like a pipe.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
