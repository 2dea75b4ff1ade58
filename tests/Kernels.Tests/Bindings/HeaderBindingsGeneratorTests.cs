using Microsoft.CodeAnalysis;
using NUnit.Framework;

namespace Kernels.Tests.Bindings;

/// <summary>The bindings generator on small headers, run in memory.</summary>
public class HeaderBindingsGeneratorTests
{
    [Test]
    public void TypedefEnumBecomesIntEnumWithCNames()
    {
        var run = GeneratorRun.On("""
            typedef enum kn_color {
              KN_RED = 0,
              KN_GREEN = 5, /* explicit */
              KN_BLUE,      // implicit: previous + 1
              KN_NEGATIVE = -2,
              KN_HEX = 0x10,
            } kn_color;
            KN_API kn_color kn_pick(kn_color preferred);
            """);

        Assert.That(run.GeneratorDiagnostics, Is.Empty);
        Assert.That(run.CompileErrors, Is.Empty);
        Assert.That(run.GeneratedSource, Does.Contain("internal enum kn_color : int"));
        Assert.That(run.GeneratedSource, Does.Contain("KN_RED = 0,").And.Contain("KN_GREEN = 5,").And.Contain("KN_BLUE = 6,")
            .And.Contain("KN_NEGATIVE = -2,").And.Contain("KN_HEX = 16,"));
        Assert.That(run.GeneratedSource, Does.Contain("internal static extern kn_color kn_pick(kn_color preferred);"));
    }

    [Test]
    public void MultiLineDeclarationWithCommentsAndDirectives()
    {
        var run = GeneratorRun.On("""
            #ifndef SAMPLE_H
            #define SAMPLE_H
            #include <stddef.h>
            #define KN_API __attribute__((visibility("default")))
            #define KN_VERSION_MAJOR 3
            #define KN_NOT_A_NUMBER "text"
            #ifdef __cplusplus
            extern "C" {
            #endif
            /* KN_API int32_t kn_commented_out(void); stays a comment */
            // KN_API int32_t kn_line_comment(void);
            KN_API int64_t kn_sum(const float* values, /* the input */
                                  size_t count,        // how many
                                  double* out);
            KN_API const char* kn_name(void);
            KN_API void kn_fill(uint32_t* first, uint64_t, int32_t** table);
            #ifdef __cplusplus
            }
            #endif
            #endif
            """);

        Assert.That(run.GeneratorDiagnostics, Is.Empty);
        Assert.That(run.CompileErrors, Is.Empty);
        string source = run.GeneratedSource;
        Assert.That(source, Does.Contain("internal static extern long kn_sum(float* values, nuint count, double* @out);"));
        Assert.That(source, Does.Contain("internal static extern byte* kn_name();"));
        Assert.That(source, Does.Contain("internal static extern void kn_fill(uint* first, ulong arg1, int** table);"));
        Assert.That(source, Does.Contain("DllImport(\"sample\", EntryPoint = \"kn_sum\", ExactSpelling = true)"));
        Assert.That(source, Does.Contain("internal const int KN_VERSION_MAJOR = 3;"));
        Assert.That(source, Does.Contain("DisableRuntimeMarshalling"));
        Assert.That(source, Does.Not.Contain("kn_commented_out").And.Not.Contain("kn_line_comment").And.Not.Contain("KN_NOT_A_NUMBER"));
    }

    [Test]
    public void UnparsableDeclarationIsAnErrorNamingItsLine()
    {
        var run = GeneratorRun.On("""
            #define KN_API
            KN_API int32_t kn_fine(void);
            KN_API kn_missing_return_type(int32_t a);
            """);

        var error = run.GeneratorDiagnostics.Single();
        Assert.That(error.Id, Is.EqualTo("KNB001"));
        Assert.That(error.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(error.Location.GetLineSpan().StartLinePosition.Line + 1, Is.EqualTo(3));
        Assert.That(error.GetMessage(), Does.Contain("sample.h line 3").And.Contain("kn_missing_return_type"));
    }

    [Test]
    public void UnknownTopLevelDeclarationIsNotSkipped()
    {
        var run = GeneratorRun.On("""
            typedef struct kn_opaque kn_opaque;
            """);

        Assert.That(run.GeneratorDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "KNB001" }));
        Assert.That(run.GeneratorDiagnostics[0].GetMessage(), Does.Contain("line 1"));
    }

    [Test]
    public void FixedSizeStructBecomesBlittableStructPassedByValue()
    {
        var run = GeneratorRun.On("""
            typedef struct kn_id {
              char internal[128]; /* opaque bytes */
              uint32_t generation;
              float weights[3];
            } kn_id;
            KN_API int32_t kn_join(kn_id id, const kn_id* out_ids, int32_t rank);
            """);

        Assert.That(run.GeneratorDiagnostics, Is.Empty);
        Assert.That(run.CompileErrors, Is.Empty);
        string source = run.GeneratedSource;
        Assert.That(source, Does.Contain("[global::System.Runtime.InteropServices.StructLayout(global::System.Runtime.InteropServices.LayoutKind.Sequential)]"));
        Assert.That(source, Does.Contain("internal unsafe struct kn_id"));
        Assert.That(source, Does.Contain("internal fixed byte @internal[128];").And.Contain("internal uint generation;")
            .And.Contain("internal fixed float weights[3];"));
        Assert.That(source, Does.Contain("internal static extern int kn_join(kn_id id, kn_id* out_ids, int rank);"));
    }

    [TestCase("typedef struct kn_bad { void* slots[4]; } kn_bad;", "KNB002", "cannot be a fixed-size array element")]
    [TestCase("typedef struct kn_bad { long value; } kn_bad;", "KNB002", "'long' is not a mapped type")]
    [TestCase("typedef struct kn_bad { char bytes[N]; } kn_bad;", "KNB001", "positive integer literal")]
    [TestCase("typedef struct kn_bad { char bytes[0]; } kn_bad;", "KNB001", "positive integer literal")]
    [TestCase("typedef struct kn_bad { } kn_bad;", "KNB001", "at least one")]
    public void UnsupportedStructIsAnError(string declaration, string id, string expectedReason)
    {
        var run = GeneratorRun.On(declaration);

        var error = run.GeneratorDiagnostics.Single();
        Assert.That(error.Id, Is.EqualTo(id));
        Assert.That(error.GetMessage(), Does.Contain("sample.h line 1").And.Contain(expectedReason));
    }

    [TestCase("KN_API long kn_platform_sized(void);", "'long' is not a mapped type")]
    [TestCase("KN_API void kn_callback(void (*done)(int32_t));", "parameter 1 of kn_callback")]
    [TestCase("KN_API void kn_by_value(char c);", "'char' by value")]
    public void UnmappableTypeIsAnError(string declaration, string expectedReason)
    {
        var run = GeneratorRun.On(declaration);

        var error = run.GeneratorDiagnostics.Single();
        Assert.That(error.Id, Is.EqualTo("KNB002"));
        Assert.That(error.GetMessage(), Does.Contain("sample.h line 1").And.Contain(expectedReason));
    }

    [TestCase("typedef enum kn_flags { KN_A = 1 << 2 } kn_flags;")]
    [TestCase("typedef enum kn_flags { KN_A = 0x80000000 } kn_flags;")]
    [TestCase("typedef enum kn_flags { KN_A = 2147483647, KN_B } kn_flags;")]
    public void EnumValueThatIsNotAnIntLiteralIsAnError(string declaration)
    {
        var run = GeneratorRun.On(declaration);

        Assert.That(run.GeneratorDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "KNB003" }));
    }

    [Test]
    public void FunctionWithoutThePrefixIsAnError()
    {
        var run = GeneratorRun.On("KN_API int32_t other_version(void);");

        Assert.That(run.GeneratorDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "KNB004" }));
    }

    [Test]
    public void BindingsCommentNamesLibraryClassPrefixAndExportMacro()
    {
        var run = GeneratorRun.On("""
            // bindings: library=cuda class=CudaDriverMethods constants=CudaConstants prefix=cu api=CUDAAPI
            #define CUDA_VERSION 11080
            typedef enum CUresult { CUDA_SUCCESS = 0, CUDA_ERROR_INVALID_VALUE = 1 } CUresult;
            CUDAAPI CUresult cuInit(unsigned int flags);
            """, path: "/headers/cuda_driver.h");

        Assert.That(run.GeneratorDiagnostics, Is.Empty);
        Assert.That(run.CompileErrors, Is.Empty);
        Assert.That(run.GeneratedSource, Does.Contain("internal static unsafe partial class CudaDriverMethods"));
        Assert.That(run.GeneratedSource, Does.Contain("DllImport(\"cuda\", EntryPoint = \"cuInit\", ExactSpelling = true)"));
        Assert.That(run.GeneratedSource, Does.Contain("internal static extern CUresult cuInit(uint flags);"));
        Assert.That(run.GeneratedSource, Does.Contain("internal static partial class CudaConstants"));
        Assert.That(run.GeneratedSource, Does.Contain("internal const int CUDA_VERSION = 11080;"));
    }

    [Test]
    public void UnknownBindingsOptionIsAnError()
    {
        var run = GeneratorRun.On("// bindings: libary=cuda");

        Assert.That(run.GeneratorDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "KNB005" }));
    }
}
