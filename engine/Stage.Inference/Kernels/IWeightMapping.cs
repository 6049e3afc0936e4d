namespace Stage.Inference.Kernels;

/// <summary>
/// Memory that weights are used in place from and that can hand its pages back: a read-only mapped file, whose pages
/// the kernel reads again from the page cache when they are next touched.
/// </summary>
public unsafe interface IWeightMapping
{
    /// <summary>Lets the whole pages of <c>[start, start + bytes)</c>, which must lie in this mapping, leave the process's working set.</summary>
    void LeaveWorkingSet(void* start, long bytes);
}
