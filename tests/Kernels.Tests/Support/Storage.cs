namespace Kernels.Tests.Support;

/// <summary>The storage types, as a test parameter.</summary>
public enum Storage { F32, F16, BF16 }

/// <summary>Runs a generic test body for the element type a <see cref="Storage"/> names.</summary>
internal interface IStorageTest
{
    void Run<T>() where T : unmanaged;
}

internal static class StorageDispatch
{
    internal static void Run(this Storage storage, IStorageTest test)
    {
        switch (storage)
        {
            case Storage.F32: test.Run<float>(); break;
            case Storage.F16: test.Run<Half>(); break;
            case Storage.BF16: test.Run<BFloat16>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(storage));
        }
    }
}
