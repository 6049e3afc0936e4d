namespace Stage.Plugin.Vst3;

/// <summary>Calls a host IBStream (3 read, 4 write, 5 seek, 6 tell) as a .NET stream of bytes.</summary>
unsafe readonly struct HostStream(void* stream)
{
    void** Vtbl => *(void***)stream;

    public bool IsNull => stream == null;

    public int Read(Span<byte> buffer)
    {
        int read = 0;
        fixed (byte* p = buffer)
        {
            int r = ((delegate* unmanaged<void*, void*, int, int*, int>)Vtbl[3])(stream, p, buffer.Length, &read);
            return r == Result.Ok ? read : 0;
        }
    }

    public bool Write(ReadOnlySpan<byte> buffer)
    {
        int written = 0;
        fixed (byte* p = buffer)
        {
            int r = ((delegate* unmanaged<void*, void*, int, int*, int>)Vtbl[4])(stream, p, buffer.Length, &written);
            return r == Result.Ok && written == buffer.Length;
        }
    }

    /// <summary>Reads the rest of the stream (state blobs are small).</summary>
    public byte[] ReadToEnd()
    {
        var all = new MemoryStream();
        Span<byte> chunk = stackalloc byte[4096];
        int n;
        while ((n = Read(chunk)) > 0) all.Write(chunk[..n]);
        return all.ToArray();
    }
}
