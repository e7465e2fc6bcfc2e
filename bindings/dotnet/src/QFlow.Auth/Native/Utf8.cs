using System;
using System.Runtime.InteropServices;
using System.Text;

namespace QFlow.Auth.Native
{
    /// <summary>
    /// Strings across the C boundary, always as UTF-8 and never through the runtime's string marshaller
    /// (whose default is not UTF-8 on .NET Framework or Mono, and which would free returned strings with
    /// the wrong allocator).
    /// </summary>
    internal static class Utf8
    {
        // Throws on a lone surrogate instead of silently sending U+FFFD in a password.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>
        /// <paramref name="value"/> as NUL-terminated UTF-8, or null for null (a C NULL). Throws
        /// <see cref="ArgumentException"/> naming <paramref name="paramName"/> for a string C cannot carry
        /// whole: one with a NUL character (C would see it cut short) or a lone UTF-16 surrogate.
        /// Callers that pass secrets clear the buffer with <see cref="Clear"/> after the call.
        /// </summary>
        internal static byte[] Encode(string value, string paramName)
        {
            if (value == null)
            {
                return null;
            }
            if (value.IndexOf('\0') >= 0)
            {
                throw new ArgumentException(paramName + " must not contain a NUL character", paramName);
            }
            byte[] bytes;
            try
            {
                bytes = new byte[Strict.GetByteCount(value) + 1];
                Strict.GetBytes(value, 0, value.Length, bytes, 0);
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException(paramName + " is not valid Unicode (it has a lone surrogate)", paramName);
            }
            return bytes;
        }

        /// <summary>Copies a NUL-terminated UTF-8 string owned or borrowed from the library; null for NULL.
        /// The pointer is not freed here.</summary>
        internal static string Decode(IntPtr pointer)
        {
            if (pointer == IntPtr.Zero)
            {
                return null;
            }
            int length = 0;
            while (Marshal.ReadByte(pointer, length) != 0)
            {
                length++;
            }
            var bytes = new byte[length];
            Marshal.Copy(pointer, bytes, 0, length);
            string text = Encoding.UTF8.GetString(bytes);
            Array.Clear(bytes, 0, bytes.Length);
            return text;
        }

        /// <summary>Copies a string the library returned as owned, then frees it with
        /// <c>qflow_string_free</c> (which zeroes it first).</summary>
        internal static string TakeOwned(IntPtr pointer)
        {
            try
            {
                return Decode(pointer);
            }
            finally
            {
                NativeMethods.qflow_string_free(pointer);
            }
        }

        /// <summary>Overwrites buffers that held arguments (passwords, secrets) once the call is over.</summary>
        internal static void Clear(params byte[][] buffers)
        {
            foreach (byte[] buffer in buffers)
            {
                if (buffer != null)
                {
                    Array.Clear(buffer, 0, buffer.Length);
                }
            }
        }
    }
}
