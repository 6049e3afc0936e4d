namespace Stage.Plugin.Processing;

/// <summary>
/// A fixed-capacity single-producer single-consumer queue of structs: no locks, no allocation after
/// construction. The producer publishes an item by advancing <c>written</c> after storing it; the
/// consumer frees the slot by advancing <c>read</c> after copying it out.
/// </summary>
public sealed class SpscRing<T> where T : struct
{
    readonly T[] items;
    long written, read;

    public SpscRing(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be positive");
        items = new T[capacity];
    }

    public bool TryWrite(in T item)
    {
        long w = written;
        if (w - Volatile.Read(ref read) >= items.Length) return false;
        items[(int)(w % items.Length)] = item;
        Volatile.Write(ref written, w + 1);
        return true;
    }

    public bool TryRead(out T item)
    {
        long r = read;
        if (r == Volatile.Read(ref written)) { item = default; return false; }
        item = items[(int)(r % items.Length)];
        Volatile.Write(ref read, r + 1);
        return true;
    }
}
