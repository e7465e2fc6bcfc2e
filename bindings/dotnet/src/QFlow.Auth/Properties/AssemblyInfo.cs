using System.Runtime.CompilerServices;

// The test program (bindings/dotnet/tests) checks the native declarations and the error table directly.
[assembly: InternalsVisibleTo("QFlow.Auth.Tests")]
