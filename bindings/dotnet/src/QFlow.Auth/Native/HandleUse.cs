using System;
using System.Runtime.InteropServices;

namespace QFlow.Auth.Native
{
    /// <summary>Keeps a native object alive for the length of one call on it.</summary>
    internal static class HandleUse
    {
        /// <summary>
        /// Runs <paramref name="body"/> while holding a reference on <paramref name="handle"/>, so that a
        /// <c>Dispose</c> on another thread cannot free the native object under it (it is freed once the last
        /// reference is gone). Copy borrowed strings and read the thread's last error inside
        /// <paramref name="body"/>. A handle already closed throws <see cref="ObjectDisposedException"/>.
        /// </summary>
        internal static T With<THandle, T>(THandle handle, Func<THandle, T> body) where THandle : SafeHandle
        {
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                return body(handle);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }
    }
}
