// Types the SWIG typemaps of bindings/sipw_csharp.i refer to. They sit in the generated namespace
// and in the same assembly, so the idiomatic layer can use SWIG's internal constructors.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Sipworker.Native
{
    /// <summary>Managed shape of <c>sipw_callback</c>: (const sipw_event *ev, void *user_data).</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SipwCallback(IntPtr ev, IntPtr userData);

    /// <summary>Managed shape of <c>sipw_retry_callback</c>: (const char *id, void *user_data).</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void SipwRetryCallback(IntPtr id, IntPtr userData);

    /// <summary>Explicit UTF-8 conversions for every string crossing the C ABI.</summary>
    public static class Utf8
    {
        /// <summary>NUL-terminated UTF-8 bytes, or null for a null string (NULL in C).</summary>
        public static byte[] ToNative(string s)
        {
            if (s == null) return null;
            int n = Encoding.UTF8.GetByteCount(s);
            var bytes = new byte[n + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>Copies a NUL-terminated UTF-8 string; null for NULL.</summary>
        public static string FromNative(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            if (len == 0) return string.Empty;
            var bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
