using Kernels.Compression;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

public class StateTests
{
    private static readonly MatrixShape Shape = new(37, 29);

    public static IEnumerable<TestCaseData> Combinations() =>
        from c in new[] { "TopK", "TopKSampled", "OneBit", "PowerSgd" }
        from f in new[] { "Ef14", "Ef21", "EControl", "None" }
        select new TestCaseData(c, f).SetArgDisplayNames(c, f);

    private static ErrorFeedback Feedback(string name) => name switch
    {
        "Ef14" => ErrorFeedback.Ef14(),
        "Ef21" => ErrorFeedback.Ef21(),
        "EControl" => ErrorFeedback.EControl(0.3f),
        _ => ErrorFeedback.None(),
    };

    [TestCaseSource(nameof(Combinations))]
    public void SaveRestoreContinueIsBitIdenticalToAnUninterruptedRun(string compressor, string feedback)
    {
        ICompressionRun uninterrupted = ErrorFeedbackTests.Create(compressor, Feedback(feedback));
        ICompressionRun first = ErrorFeedbackTests.Create(compressor, Feedback(feedback));
        for (int step = 0; step < 3; step++)
        {
            uninterrupted.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
            first.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
        }
        byte[] saved = first.Save();
        ICompressionRun resumed = ErrorFeedbackTests.Create(compressor, Feedback(feedback));
        resumed.Restore(saved);
        Assert.That(resumed.Save(), Is.EqualTo(saved), "restored state saves to the same bytes");
        for (int step = 3; step < 7; step++)
        {
            float[] expected = uninterrupted.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
            float[] actual = resumed.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
            Compare.Bitwise<float>(actual, expected, $"{compressor}+{feedback} step {step}");
        }
        Assert.That(resumed.Save(), Is.EqualTo(uninterrupted.Save()), "final states are identical");
    }

    private static void AssertRejectedAndUntouched(ICompressionRun target, byte[] state, string reason)
    {
        byte[] before = target.Save();
        var exception = Assert.Throws<ArgumentException>(() => target.Restore(state), reason)!;
        Assert.That(exception.ParamName, Is.EqualTo("state"), exception.Message);
        Assert.That(target.Save(), Is.EqualTo(before), $"{reason}: state changed although the restore was rejected");
    }

    [Test]
    public void RestoringIncompatibleStateThrowsAndChangesNothing()
    {
        ICompressionRun source = ErrorFeedbackTests.Create("PowerSgd", ErrorFeedback.Ef14());
        for (int step = 0; step < 3; step++) source.Step(ErrorFeedbackTests.Gradient(step), Shape, reconstruct: true);
        byte[] saved = source.Save();

        ICompressionRun target = ErrorFeedbackTests.Create("PowerSgd", ErrorFeedback.Ef14());
        var otherShape = new MatrixShape(29, 37);
        target.Step(ErrorFeedbackTests.Gradient(9), otherShape, reconstruct: true);
        target.Step(ErrorFeedbackTests.Gradient(10), otherShape, reconstruct: true);
        AssertRejectedAndUntouched(target, saved, "another shape");

        AssertRejectedAndUntouched(ErrorFeedbackTests.Create("PowerSgd", ErrorFeedback.Ef21()), saved, "another error feedback");
        AssertRejectedAndUntouched(ErrorFeedbackTests.Create("TopK", ErrorFeedback.Ef14()), saved, "another compressor");
        var otherRank = new CompressionRun<LowRankMessage>(new ErrorFeedbackCompressor<LowRankMessage>(new PowerSgd(2, 1, 5), ErrorFeedback.Ef14()));
        AssertRejectedAndUntouched(otherRank, saved, "another rank");

        byte[] otherVersion = (byte[])saved.Clone();
        otherVersion[4] = 99;
        AssertRejectedAndUntouched(target, otherVersion, "another format version");
        byte[] notState = (byte[])saved.Clone();
        notState[0] ^= 0xFF;
        AssertRejectedAndUntouched(target, notState, "not compression state");
        AssertRejectedAndUntouched(target, saved[..(saved.Length - 3)], "truncated");
    }
}
