namespace Stage.Plugin.Vst3;

/// <summary>
/// Calls a host IParameterChanges (3 getParameterCount, 4 getParameterData, 5 addParameterData) and its
/// IParamValueQueues (3 getParameterId, 4 getPointCount, 5 getPoint, 6 addPoint). No allocation.
/// </summary>
unsafe readonly struct HostParameterChanges(void* changes)
{
    void** Vtbl => *(void***)changes;

    public bool IsNull => changes == null;

    public int Count => changes == null ? 0 : ((delegate* unmanaged<void*, int>)Vtbl[3])(changes);

    public HostParamValueQueue this[int index] => new(((delegate* unmanaged<void*, int, void*>)Vtbl[4])(changes, index));

    /// <summary>Adds one point for <paramref name="id"/> (output changes); false if the host refused.</summary>
    public bool Add(uint id, int sampleOffset, double value)
    {
        if (changes == null) return false;
        int index = 0;
        void* queue = ((delegate* unmanaged<void*, uint*, int*, void*>)Vtbl[5])(changes, &id, &index);
        if (queue == null) return false;
        int point = 0;
        return ((delegate* unmanaged<void*, int, double, int*, int>)(*(void***)queue)[6])(queue, sampleOffset, value, &point) == Result.Ok;
    }
}

unsafe readonly struct HostParamValueQueue(void* queue)
{
    void** Vtbl => *(void***)queue;

    public bool IsNull => queue == null;

    public uint ParameterId => ((delegate* unmanaged<void*, uint>)Vtbl[3])(queue);

    public int PointCount => ((delegate* unmanaged<void*, int>)Vtbl[4])(queue);

    public bool TryGetPoint(int index, out int sampleOffset, out double value)
    {
        int offset = 0;
        double v = 0;
        bool ok = ((delegate* unmanaged<void*, int, int*, double*, int>)Vtbl[5])(queue, index, &offset, &v) == Result.Ok;
        sampleOffset = offset;
        value = v;
        return ok;
    }
}
