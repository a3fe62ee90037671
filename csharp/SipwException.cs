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

        public override string ToString() => "SipwException(" + Code + "): " + Message + " / " + MessageCN;
    }
}
