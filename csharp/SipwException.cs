using System;

namespace Sipworker
{
    /// <summary>A command or call the core refused synchronously. <see cref="Exception.Message"/> is
    /// the English text, <see cref="MessageCN"/> the Chinese one; <see cref="Code"/> the C ABI's
    /// negative result code (the constants InvalidArgument ... Internal, generated from the catalogue).</summary>
    [Serializable]
    public partial class SipwException : Exception
    {
        public int Code { get; }
        public string MessageCN { get; }

        public SipwException(int code, string message, string messageCN)
            : base(string.IsNullOrEmpty(message) ? "sipworker error " + code : message)
        {
            Code = code;
            MessageCN = messageCN ?? "";
        }

        /// <summary>The core's thread-local detail of the last failure, read on the failing call's
        /// thread right away.</summary>
        internal static SipwException FromLastError(int code) =>
            new SipwException(code, Native.sipw.sipw_last_error_text("en"), Native.sipw.sipw_last_error_text("zh-CN"));

        public override string ToString() => "SipwException(" + Code + "): " + Message + " / " + MessageCN;
    }
}
