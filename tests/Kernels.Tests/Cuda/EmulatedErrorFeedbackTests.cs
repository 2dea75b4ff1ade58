using Kernels.Compression;
using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/error_feedback.cu under the emulator gives the bits of the CPU's EF21 and EControl steps (ResidualArithmetic and
/// EControlFeedback's loop), NaN payloads and signed zeros included.
/// </summary>
public class EmulatedErrorFeedbackTests
{
    private static readonly int[] Lengths = [1, 7, 97, 1025];

    [Test]
    public void StepsMatchCpuBitForBit([Range(0, 4)] int stepNumber)
    {
        var step = (kne_feedback_step)stepNumber;
        foreach (int n in Lengths)
        foreach (var (grid, block) in LaunchShapes.Elementwise)
        {
            float[] state = EmulatedOneBitTests.WithSpecials<float>(n, seed: n);
            float[] a = EmulatedOneBitTests.WithSpecials<float>(n, seed: n + 1);
            float[] b = EmulatedOneBitTests.WithSpecials<float>(n, seed: n + 2);
            float[] output = EmulatedOneBitTests.WithSpecials<float>(n, seed: n + 3);
            const float eta = 0.3f;
            float[] expectedState = (float[])state.Clone(), expectedOutput = (float[])output.Clone();
            switch (step)
            {
                case kne_feedback_step.KNE_FEEDBACK_DIFFERENCE:
                    expectedOutput = ResidualArithmetic.Difference(a, b);
                    break;
                case kne_feedback_step.KNE_FEEDBACK_ACCUMULATE:
                    ResidualArithmetic.Accumulate(expectedState, a);
                    break;
                case kne_feedback_step.KNE_FEEDBACK_STORE_RESIDUAL:
                    ResidualArithmetic.StoreResidual(a, b, expectedState);
                    break;
                case kne_feedback_step.KNE_FEEDBACK_ECONTROL_INPUTS:
                    for (int i = 0; i < n; i++)  // EControlFeedback.Compress's loop, verbatim
                    {
                        expectedOutput[i] = eta * state[i] + a[i] - b[i];
                        expectedState[i] = state[i] + a[i] - b[i];
                    }
                    break;
                case kne_feedback_step.KNE_FEEDBACK_ACCUMULATE_INTO:
                    ResidualArithmetic.AccumulateInto(expectedState, expectedOutput);
                    break;
            }
            Emulator.Feedback(step, state, a, b, output, n, eta, grid, block);
            Compare.Bitwise<float>(state, expectedState, $"{step} state n={n} grid={grid} block={block}");
            Compare.Bitwise<float>(output, expectedOutput, $"{step} output n={n} grid={grid} block={block}");
        }
    }
}
