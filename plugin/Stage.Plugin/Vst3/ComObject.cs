using System.Runtime.InteropServices;

namespace Stage.Plugin.Vst3;

/// <summary>
/// What the host holds as an interface pointer: the first word is the interface's vtable, the second a
/// GCHandle to the managed object that implements it.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
unsafe struct InterfaceSlot
{
    public void** Vtbl;
    public nint Owner;
}

/// <summary>
/// A managed object exposed to the host as a COM-style object: one native slot per interface it
/// implements, an atomic reference count, and queryInterface over the slots. The final release frees
/// the slots and the GCHandle and calls <see cref="OnFinalRelease"/>.
/// </summary>
abstract unsafe class ComObject
{
    readonly InterfaceSlot* slots;
    readonly GCHandle handle;
    int references = 1;

    protected ComObject(ReadOnlySpan<nint> vtables)
    {
        handle = GCHandle.Alloc(this);
        slots = (InterfaceSlot*)NativeMemory.AllocZeroed((nuint)(vtables.Length * sizeof(InterfaceSlot)));
        for (int i = 0; i < vtables.Length; i++)
        {
            slots[i].Vtbl = (void**)vtables[i];
            slots[i].Owner = GCHandle.ToIntPtr(handle);
        }
    }

    /// <summary>The interface pointer for slot <paramref name="index"/> (no reference added).</summary>
    public void* Slot(int index) => &slots[index];

    /// <summary>Which slot answers <paramref name="iid"/>, or −1.</summary>
    protected abstract int SlotFor(byte* iid);

    protected virtual void OnFinalRelease() { }

    public int QueryInterface(byte* iid, void** obj)
    {
        if (obj == null) return Result.InvalidArgument;
        int slot = iid == null ? -1 : SlotFor(iid);
        if (slot < 0) { *obj = null; return Result.NoInterface; }
        Interlocked.Increment(ref references);
        *obj = Slot(slot);
        return Result.Ok;
    }

    public uint AddRef() => (uint)Interlocked.Increment(ref references);

    public uint Release()
    {
        int left = Interlocked.Decrement(ref references);
        if (left == 0)
        {
            try { OnFinalRelease(); }
            finally
            {
                handle.Free();
                NativeMemory.Free(slots);
            }
        }
        return (uint)Math.Max(left, 0);
    }

    public static T From<T>(void* self) where T : ComObject =>
        (T)GCHandle.FromIntPtr(((InterfaceSlot*)self)->Owner).Target!;
}
