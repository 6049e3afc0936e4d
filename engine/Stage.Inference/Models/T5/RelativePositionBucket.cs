namespace Stage.Inference.Models.T5;

/// <summary>
/// T5's bidirectional relative-position bucketing (HF <c>_relative_position_bucket</c>): half the
/// buckets for keys after the query; within a half, offsets below a quarter of the buckets are
/// exact and larger ones share log-spaced buckets up to <c>maxDistance</c>. float32 log, as torch.
/// </summary>
public static class RelativePositionBucket
{
    /// <param name="relativePosition">key position − query position.</param>
    public static int Bidirectional(int relativePosition, int numBuckets, int maxDistance)
    {
        int half = numBuckets / 2;
        int bucket = relativePosition > 0 ? half : 0;
        int distance = Math.Abs(relativePosition);
        int maxExact = half / 2;
        if (distance < maxExact) return bucket + distance;
        float scaled = MathF.Log((float)distance / maxExact) / (float)Math.Log((double)maxDistance / maxExact) * (half - maxExact);
        return bucket + Math.Min(maxExact + (int)scaled, half - 1);
    }
}
