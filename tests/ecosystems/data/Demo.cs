// Source of Demo.dll, the assembly fixture of tests/ecosystems/test_nuget_assembly.py.
namespace Demo
{
    public static class Greeter
    {
        public static string Hello() { return "hello"; }
    }
}
