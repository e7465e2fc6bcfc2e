using System;
#if NETCOREAPP3_0_OR_GREATER
using System.Reflection;
using System.Runtime.InteropServices;
#endif

namespace QFlow.Auth.Native
{
    /// <summary>
    /// Finds the native library once, before the first native call, and checks that it is the version
    /// the declarations were generated for.
    /// </summary>
    /// <remarks>
    /// On .NET Core 3.0 and later (the net8.0 build) a resolver loads the file named by the
    /// <c>QFLOW_AUTH_LIB</c> environment variable when it is set, and otherwise leaves the search to the
    /// runtime (the application folder, then <c>runtimes/&lt;rid&gt;/native/</c> of the NuGet package).
    /// On .NET Framework and Mono (the netstandard2.0 build) the runtime's own search applies: the
    /// application folder, then the system's library path (e.g. <c>LD_LIBRARY_PATH</c>).
    /// </remarks>
    internal static class NativeLibraryLoader
    {
        /// <summary>The environment variable with an explicit path to the native library (net8.0 build).</summary>
        internal const string PathVariable = "QFLOW_AUTH_LIB";

        private static readonly object Gate = new object();
        private static volatile bool ready;

        /// <summary>Called by every public entry point before its first native call; cheap after the first.</summary>
        internal static void EnsureReady()
        {
            if (ready)
            {
                return;
            }
            lock (Gate)
            {
                if (ready)
                {
                    return;
                }
#if NETCOREAPP3_0_OR_GREATER
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
#endif
                string version;
                try
                {
                    version = Utf8.Decode(NativeMethods.qflow_version());
                }
                catch (DllNotFoundException e)
                {
                    throw new DllNotFoundException(
                        "QFlow.Auth could not load its native library '" + NativeMethods.LibraryName + "' " +
                        "(libqflow_auth.so, libqflow_auth.dylib or qflow_auth.dll). Put it next to the application, " +
                        "install the QFlow.Auth package for your platform, set " + PathVariable + " to its path " +
                        "(.NET Core 3.0 and later), or add its folder to the library path. " + e.Message, e);
                }
                if (version != NativeMethods.HeaderVersion)
                {
                    throw new InvalidOperationException(
                        "QFlow.Auth was generated for native qflow_auth " + NativeMethods.HeaderVersion +
                        " but loaded version " + version + "; use the native library that came with this package.");
                }
                ready = true;
            }
        }

        /// <summary>The version of the loaded native library (<c>qflow_version()</c>).</summary>
        internal static string NativeVersion
        {
            get
            {
                EnsureReady();
                return Utf8.Decode(NativeMethods.qflow_version());
            }
        }

#if NETCOREAPP3_0_OR_GREATER
        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (name != NativeMethods.LibraryName)
            {
                return IntPtr.Zero;
            }
            string path = Environment.GetEnvironmentVariable(PathVariable);
            if (string.IsNullOrEmpty(path))
            {
                return IntPtr.Zero; // the runtime's default search
            }
            // An explicit path that does not load is an error, not a reason to pick another library.
            return NativeLibrary.Load(path);
        }
#endif
    }
}
