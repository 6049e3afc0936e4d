using ILGPU;

namespace Stage.Inference.Gpu;

/// <summary>
/// 16-bit float storage for device weights: bfloat16 (the top half of a float32) and IEEE half, as raw bits
/// so one kernel reads either. Rounding to nearest even on the way in; exact on the way out.
/// </summary>
public static class HalfBits
{
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static ushort SingleToHalf(float value) => BitConverter.HalfToUInt16Bits((System.Half)value);

    public static float BFloat16ToSingle(ushort bits) => Interop.IntAsFloat((uint)bits << 16);

    public static float HalfToSingle(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        int exponent = (bits >> 10) & 0x1F;
        uint mantissa = (uint)(bits & 0x3FF);
        if (exponent == 0x1F) return Interop.IntAsFloat(sign | 0x7F800000u | (mantissa << 13));
        if (exponent != 0) return Interop.IntAsFloat(sign | ((uint)(exponent + 112) << 23) | (mantissa << 13));
        // Subnormal half: mantissa · 2^-24, exact in float32.
        float magnitude = mantissa * 5.9604644775390625e-8f;
        return sign != 0 ? -magnitude : magnitude;
    }
}
