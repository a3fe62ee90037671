using System;

namespace Sipworker
{
    /// <summary>A command or call the core refused synchronously. <see cref="Exception.Message"/> is
    /// the English text, <see cref="MessageCN"/> the Chinese one; <see cref="Code"/> the C ABI's
    /// negative result code (see the constants).</summary>
    [Serializable]
    public class SipwException : Exception
    {
        public const int InvalidArgument = -1;  // malformed JSON, missing or ill-typed field
        public const int WrongState = -2;       // e.g. CALL before INIT, ANSWER on an outgoing session
        public const int UnknownSession = -3;
        public const int UnknownCommand = -4;   // unknown or not (yet) supported command
        public const int ShuttingDown = -5;
        public const int UnknownListener = -6;
        public const int Internal = -7;

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
