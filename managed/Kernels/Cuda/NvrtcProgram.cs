using System.Runtime.InteropServices;
using System.Text;
using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// One nvrtcProgram through the generated bindings (bindings/cuda/nvrtc.h): create, add name expressions,
/// compile, read log / image / lowered names, destroy. Strings cross as UTF-8 copies this object owns.
/// The caller has checked <see cref="CudaLibraries.RequireNvrtc"/>.
/// </summary>
internal sealed unsafe class NvrtcProgram : IDisposable
{
    private readonly List<IntPtr> _strings = [];
    private void* _handle;

    internal NvrtcProgram(CudaProgramSource source)
    {
        var headerNames = source.Headers.Keys.ToArray();
        byte** headers = stackalloc byte*[Math.Max(1, headerNames.Length)];
        byte** includeNames = stackalloc byte*[Math.Max(1, headerNames.Length)];
        for (int i = 0; i < headerNames.Length; i++)
        {
            headers[i] = Utf8(source.Headers[headerNames[i]]);
            includeNames[i] = Utf8(headerNames[i]);
        }
        void* handle;
        Check(NvrtcMethods.nvrtcCreateProgram(&handle, Utf8(source.Text), Utf8(source.Name), headerNames.Length, headers, includeNames),
            "nvrtcCreateProgram");
        _handle = handle;
    }

    /// <summary>NVRTC's version (major, minor).</summary>
    internal static Version NvrtcVersion()
    {
        int major, minor;
        Check(NvrtcMethods.nvrtcVersion(&major, &minor), "nvrtcVersion");
        return new Version(major, minor);
    }

    internal void AddNameExpression(string expression) =>
        Check(NvrtcMethods.nvrtcAddNameExpression(_handle, Utf8(expression)), $"nvrtcAddNameExpression({expression})");

    /// <summary>Compiles; the result is returned rather than thrown because a compile error carries a log.</summary>
    internal nvrtcResult Compile(IReadOnlyList<string> options)
    {
        byte** pointers = stackalloc byte*[Math.Max(1, options.Count)];
        for (int i = 0; i < options.Count; i++)
            pointers[i] = Utf8(options[i]);
        return NvrtcMethods.nvrtcCompileProgram(_handle, options.Count, pointers);
    }

    internal string Log()
    {
        nuint size;
        Check(NvrtcMethods.nvrtcGetProgramLogSize(_handle, &size), "nvrtcGetProgramLogSize");
        var log = new byte[size];
        fixed (byte* p = log)
            Check(NvrtcMethods.nvrtcGetProgramLog(_handle, p), "nvrtcGetProgramLog");
        return Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
    }

    /// <summary>PTX text including its terminating zero, as cuModuleLoadData expects.</summary>
    internal byte[] Ptx()
    {
        nuint size;
        Check(NvrtcMethods.nvrtcGetPTXSize(_handle, &size), "nvrtcGetPTXSize");
        var ptx = new byte[size];
        fixed (byte* p = ptx)
            Check(NvrtcMethods.nvrtcGetPTX(_handle, p), "nvrtcGetPTX");
        return ptx;
    }

    internal byte[] Cubin()
    {
        nuint size;
        Check(NvrtcMethods.nvrtcGetCUBINSize(_handle, &size), "nvrtcGetCUBINSize");
        var cubin = new byte[size];
        fixed (byte* p = cubin)
            Check(NvrtcMethods.nvrtcGetCUBIN(_handle, p), "nvrtcGetCUBIN");
        return cubin;
    }

    internal string LoweredName(string expression)
    {
        byte* lowered;
        Check(NvrtcMethods.nvrtcGetLoweredName(_handle, Utf8(expression), &lowered), $"nvrtcGetLoweredName({expression})");
        return Marshal.PtrToStringUTF8((IntPtr)lowered)!;
    }

    internal static string Describe(nvrtcResult result) =>
        Marshal.PtrToStringUTF8((IntPtr)NvrtcMethods.nvrtcGetErrorString(result)) ?? result.ToString();

    public void Dispose()
    {
        if (_handle != null)
        {
            void* handle = _handle;
            NvrtcMethods.nvrtcDestroyProgram(&handle);
            _handle = null;
        }
        foreach (IntPtr s in _strings)
            Marshal.FreeCoTaskMem(s);
        _strings.Clear();
    }

    private byte* Utf8(string text)
    {
        IntPtr copy = Marshal.StringToCoTaskMemUTF8(text);
        _strings.Add(copy);
        return (byte*)copy;
    }

    private static void Check(nvrtcResult result, string call)
    {
        if (result != nvrtcResult.NVRTC_SUCCESS)
            throw new InvalidOperationException($"{call} failed: {Describe(result)}");
    }
}
