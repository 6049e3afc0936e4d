using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Stage.Plugin.Tests.Host;

/// <summary>
/// A host-side object handed to the plugin: a native block {vtable, GCHandle} whose vtable forwards to
/// this managed object. Reference counting is tracked but the block lives as long as the test object.
/// </summary>
abstract unsafe class HostObject : IDisposable
{
    readonly nint* block;
    GCHandle handle;
    public int References = 1;

    protected HostObject(nint vtable)
    {
        handle = GCHandle.Alloc(this);
        block = (nint*)NativeMemory.Alloc(2, (nuint)sizeof(nint));
        block[0] = vtable;
        block[1] = GCHandle.ToIntPtr(handle);
    }

    public void* Pointer => block;

    protected abstract byte[] InterfaceId { get; }

    public static T Of<T>(void* self) where T : HostObject => (T)GCHandle.FromIntPtr(((nint*)self)[1]).Target!;

    public void Dispose()
    {
        if (!handle.IsAllocated) return;
        handle.Free();
        NativeMemory.Free(block);
    }

    protected static nint Vtable(int slots, params nint[] methods)
    {
        var table = (nint*)NativeMemory.Alloc((nuint)slots, (nuint)sizeof(nint));
        table[0] = (nint)(delegate* unmanaged<void*, byte*, void**, int>)&QueryInterface;
        table[1] = (nint)(delegate* unmanaged<void*, uint>)&AddRef;
        table[2] = (nint)(delegate* unmanaged<void*, uint>)&Release;
        for (int i = 0; i < methods.Length; i++) table[3 + i] = methods[i];
        return (nint)table;
    }

    [UnmanagedCallersOnly]
    static int QueryInterface(void* self, byte* iid, void** obj)
    {
        var o = Of<HostObject>(self);
        var id = new ReadOnlySpan<byte>(iid, 16);
        if (id.SequenceEqual(Iid.FUnknown) || id.SequenceEqual(o.InterfaceId)) { Interlocked.Increment(ref o.References); *obj = self; return TResult.Ok; }
        *obj = null;
        return TResult.NoInterface;
    }

    [UnmanagedCallersOnly] static uint AddRef(void* self) => (uint)Interlocked.Increment(ref Of<HostObject>(self).References);
    [UnmanagedCallersOnly] static uint Release(void* self) => (uint)Interlocked.Decrement(ref Of<HostObject>(self).References);
}

/// <summary>IBStream over a growable byte buffer (3 read, 4 write, 5 seek, 6 tell).</summary>
sealed unsafe class HostStream : HostObject
{
    static readonly nint vtable = Vtable(7,
        (nint)(delegate* unmanaged<void*, void*, int, int*, int>)&Read,
        (nint)(delegate* unmanaged<void*, void*, int, int*, int>)&Write,
        (nint)(delegate* unmanaged<void*, long, int, long*, int>)&Seek,
        (nint)(delegate* unmanaged<void*, long*, int>)&Tell);

    public readonly MemoryStream Data;

    public HostStream(byte[]? content = null) : base(vtable) => Data = content == null ? new MemoryStream() : new MemoryStream(content);

    protected override byte[] InterfaceId => Iid.IBStream;

    [UnmanagedCallersOnly]
    static int Read(void* self, void* buffer, int count, int* read)
    {
        int n = Of<HostStream>(self).Data.Read(new Span<byte>(buffer, count));
        if (read != null) *read = n;
        return TResult.Ok;
    }

    [UnmanagedCallersOnly]
    static int Write(void* self, void* buffer, int count, int* written)
    {
        Of<HostStream>(self).Data.Write(new ReadOnlySpan<byte>(buffer, count));
        if (written != null) *written = count;
        return TResult.Ok;
    }

    [UnmanagedCallersOnly]
    static int Seek(void* self, long position, int mode, long* result)
    {
        var s = Of<HostStream>(self).Data;
        long at = s.Seek(position, (SeekOrigin)mode);
        if (result != null) *result = at;
        return TResult.Ok;
    }

    [UnmanagedCallersOnly]
    static int Tell(void* self, long* position)
    {
        *position = Of<HostStream>(self).Data.Position;
        return TResult.Ok;
    }
}

/// <summary>IParamValueQueue (3 getParameterId, 4 getPointCount, 5 getPoint, 6 addPoint).</summary>
sealed unsafe class HostParamQueue : HostObject
{
    static readonly nint vtable = Vtable(7,
        (nint)(delegate* unmanaged<void*, uint>)&GetParameterId,
        (nint)(delegate* unmanaged<void*, int>)&GetPointCount,
        (nint)(delegate* unmanaged<void*, int, int*, double*, int>)&GetPoint,
        (nint)(delegate* unmanaged<void*, int, double, int*, int>)&AddPoint);

    public readonly uint Id;
    public readonly List<(int Offset, double Value)> Points = [];

    public HostParamQueue(uint id) : base(vtable) => Id = id;

    protected override byte[] InterfaceId => Iid.IParamValueQueue;

    [UnmanagedCallersOnly] static uint GetParameterId(void* self) => Of<HostParamQueue>(self).Id;
    [UnmanagedCallersOnly] static int GetPointCount(void* self) => Of<HostParamQueue>(self).Points.Count;

    [UnmanagedCallersOnly]
    static int GetPoint(void* self, int index, int* offset, double* value)
    {
        var points = Of<HostParamQueue>(self).Points;
        if ((uint)index >= (uint)points.Count) return TResult.InvalidArgument;
        *offset = points[index].Offset;
        *value = points[index].Value;
        return TResult.Ok;
    }

    [UnmanagedCallersOnly]
    static int AddPoint(void* self, int offset, double value, int* index)
    {
        var points = Of<HostParamQueue>(self).Points;
        points.Add((offset, value));
        if (index != null) *index = points.Count - 1;
        return TResult.Ok;
    }
}

/// <summary>IParameterChanges (3 getParameterCount, 4 getParameterData, 5 addParameterData).</summary>
sealed unsafe class HostParameterChanges : HostObject
{
    static readonly nint vtable = Vtable(6,
        (nint)(delegate* unmanaged<void*, int>)&GetParameterCount,
        (nint)(delegate* unmanaged<void*, int, void*>)&GetParameterData,
        (nint)(delegate* unmanaged<void*, uint*, int*, void*>)&AddParameterData);

    public readonly List<HostParamQueue> Queues = [];

    public HostParameterChanges() : base(vtable) { }

    protected override byte[] InterfaceId => Iid.IParameterChanges;

    public void Add(uint id, int offset, double value) => Queue(id).Points.Add((offset, value));

    HostParamQueue Queue(uint id)
    {
        foreach (var q in Queues) if (q.Id == id) return q;
        var queue = new HostParamQueue(id);
        Queues.Add(queue);
        return queue;
    }

    public void Clear()
    {
        foreach (var q in Queues) q.Dispose();
        Queues.Clear();
    }

    [UnmanagedCallersOnly] static int GetParameterCount(void* self) => Of<HostParameterChanges>(self).Queues.Count;

    [UnmanagedCallersOnly]
    static void* GetParameterData(void* self, int index)
    {
        var queues = Of<HostParameterChanges>(self).Queues;
        return (uint)index < (uint)queues.Count ? queues[index].Pointer : null;
    }

    [UnmanagedCallersOnly]
    static void* AddParameterData(void* self, uint* id, int* index)
    {
        var changes = Of<HostParameterChanges>(self);
        var queue = changes.Queue(*id);
        if (index != null) *index = changes.Queues.IndexOf(queue);
        return queue.Pointer;
    }
}

/// <summary>IComponentHandler (3 beginEdit, 4 performEdit, 5 endEdit, 6 restartComponent): records every edit the controller reports.</summary>
sealed unsafe class HostComponentHandler : HostObject
{
    static readonly nint vtable = Vtable(7,
        (nint)(delegate* unmanaged<void*, uint, int>)&BeginEdit,
        (nint)(delegate* unmanaged<void*, uint, double, int>)&PerformEdit,
        (nint)(delegate* unmanaged<void*, uint, int>)&EndEdit,
        (nint)(delegate* unmanaged<void*, int, int>)&RestartComponent);

    /// <summary>Every call in order: ("begin"|"perform"|"end", parameter id, value).</summary>
    public readonly System.Collections.Concurrent.ConcurrentQueue<(string Call, uint Id, double Value)> Calls = new();

    public HostComponentHandler() : base(vtable) { }

    protected override byte[] InterfaceId => Iid.IComponentHandler;

    [UnmanagedCallersOnly] static int BeginEdit(void* self, uint id) { Of<HostComponentHandler>(self).Calls.Enqueue(("begin", id, 0)); return TResult.Ok; }
    [UnmanagedCallersOnly] static int PerformEdit(void* self, uint id, double v) { Of<HostComponentHandler>(self).Calls.Enqueue(("perform", id, v)); return TResult.Ok; }
    [UnmanagedCallersOnly] static int EndEdit(void* self, uint id) { Of<HostComponentHandler>(self).Calls.Enqueue(("end", id, 0)); return TResult.Ok; }
    [UnmanagedCallersOnly] static int RestartComponent(void* self, int flags) => TResult.Ok;
}

/// <summary>IAttributeList with the channel context a host gives IInfoListener: "channel name" (getString, 8) and "channel color" (getInt, 4).</summary>
sealed unsafe class HostChannelContext : HostObject
{
    static readonly nint vtable = Vtable(11,
        (nint)(delegate* unmanaged<void*, byte*, long, int>)&SetInt,
        (nint)(delegate* unmanaged<void*, byte*, long*, int>)&GetInt,
        (nint)(delegate* unmanaged<void*, byte*, double, int>)&SetFloat,
        (nint)(delegate* unmanaged<void*, byte*, double*, int>)&GetFloat,
        (nint)(delegate* unmanaged<void*, byte*, char*, int>)&SetString,
        (nint)(delegate* unmanaged<void*, byte*, char*, uint, int>)&GetString,
        (nint)(delegate* unmanaged<void*, byte*, void*, uint, int>)&SetBinary,
        (nint)(delegate* unmanaged<void*, byte*, void**, uint*, int>)&GetBinary);

    readonly string name;
    readonly uint colour;

    public HostChannelContext(string name, uint colour) : base(vtable) { this.name = name; this.colour = colour; }

    protected override byte[] InterfaceId => Iid.IAttributeList;

    static string Key(byte* id) => Marshal.PtrToStringUTF8((nint)id) ?? "";

    [UnmanagedCallersOnly] static int SetInt(void* self, byte* id, long v) => TResult.NotImplemented;
    [UnmanagedCallersOnly]
    static int GetInt(void* self, byte* id, long* v)
    {
        if (Key(id) != "channel color") return TResult.False;
        *v = Of<HostChannelContext>(self).colour;
        return TResult.Ok;
    }
    [UnmanagedCallersOnly] static int SetFloat(void* self, byte* id, double v) => TResult.NotImplemented;
    [UnmanagedCallersOnly] static int GetFloat(void* self, byte* id, double* v) => TResult.False;
    [UnmanagedCallersOnly] static int SetString(void* self, byte* id, char* s) => TResult.NotImplemented;
    [UnmanagedCallersOnly]
    static int GetString(void* self, byte* id, char* s, uint sizeInBytes)
    {
        if (Key(id) != "channel name") return TResult.False;
        var text = Of<HostChannelContext>(self).name.AsSpan();
        int max = (int)(sizeInBytes / 2) - 1;
        if (max < 0) return TResult.False;
        int n = Math.Min(text.Length, max);
        text[..n].CopyTo(new Span<char>(s, n));
        s[n] = '\0';
        return TResult.Ok;
    }
    [UnmanagedCallersOnly] static int SetBinary(void* self, byte* id, void* data, uint size) => TResult.NotImplemented;
    [UnmanagedCallersOnly] static int GetBinary(void* self, byte* id, void** data, uint* size) => TResult.False;
}
