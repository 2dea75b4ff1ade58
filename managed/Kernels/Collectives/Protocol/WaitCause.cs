namespace Kernels.Collectives.Protocol;

/// <summary>What a wait is for, turned into text only when the wait fails.</summary>
internal readonly record struct WaitCause(string Operation, ulong Sequence, uint Step)
{
    public override string ToString() => Sequence == 0 ? Operation : $"{Operation} #{Sequence} step {Step}";
}
