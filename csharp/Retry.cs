// The original library's retry helper (useRetry) over sipw_retry_*: the counters and delays live in
// the core; this class keeps the delegates of delayed retries alive while native code may call them.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Sipworker.Native;

namespace Sipworker
{
    /// <summary>Per-id attempt counters with a maximum, and retries run after a growing delay.</summary>
    /// <remarks>Ids without <see cref="UpdateMaxRetry"/> get <c>defaultMaxRetry</c> attempts (negative:
    /// unlimited); the n-th delayed attempt of an id waits <c>baseDelayMs + (n - 1) * increaseMs</c>.
    /// <see cref="DelayRetry"/> actions run on the helper's timer thread, one at a time; an exception
    /// an action throws is caught and reported through <see cref="HandlerError"/>. Dispose cancels the
    /// retries still pending and waits for a running action (unless called from that action).</remarks>
    public sealed class Retry : IDisposable
    {
        // One delegate for every delayed retry, never collected; each retry's state is a GCHandle.
        static readonly SipwRetryCallback Trampoline = FireFromNative;

        readonly object _gate = new object();
        readonly sipw_retry _native;
        readonly HashSet<Pending> _pending = new HashSet<Pending>();
        volatile bool _disposed;

        /// <summary>Raised when a delayed action threw, on the timer thread. ListenerName is the id.</summary>
        public event EventHandler<HandlerErrorEventArgs> HandlerError;

        public Retry(int defaultMaxRetry = 5, int baseDelayMs = 1000)
        {
            _native = sipw.sipw_retry_create(defaultMaxRetry, baseDelayMs);
            if (_native == null) throw SipwException.FromLastError(sipw.sipw_last_error_code());
        }

        /// <summary>Sets the maximum of attempts of <paramref name="id"/> (negative: unlimited).</summary>
        public void UpdateMaxRetry(string id, int maxRetry) =>
            Checked(() => { sipw.sipw_retry_update_max(_native, id, maxRetry); return 0; });
        /// <summary>The attempts <paramref name="id"/> used since its last <see cref="Reset"/>.</summary>
        public int GetRetryTime(string id) => Checked(() => sipw.sipw_retry_get_count(_native, id));
        public bool IsMax(string id) => Checked(() => sipw.sipw_retry_is_max(_native, id)) == 1;
        /// <summary>The original library's <c>retry</c>: counts one attempt and returns true, or false
        /// once the maximum is reached.</summary>
        public bool TryRetry(string id) => Checked(() => sipw.sipw_retry_retry(_native, id)) == 1;
        public void Reset(string id) => Checked(() => { sipw.sipw_retry_reset(_native, id); return 0; });

        /// <summary>Counts one attempt and runs <paramref name="action"/>(id) once its delay has passed.
        /// Returns the delay in ms, or 0 when the maximum was reached (the action never runs).</summary>
        public int DelayRetry(string id, Action<string> action, int increaseMs = 0)
        {
            if (id == null) throw new ArgumentNullException(nameof(id));
            if (action == null) throw new ArgumentNullException(nameof(action));
            var pending = new Pending(this, action);
            lock (_gate) _pending.Add(pending);
            int delay = 0;
            IntPtr userData = GCHandle.ToIntPtr(pending.Handle);
            try { delay = Checked(() => sipw.sipw_retry_delay(_native, id, Trampoline, userData, increaseMs)); }
            finally { if (delay <= 0) Release(pending); }  // nothing scheduled: native code never got it
            return delay;
        }

        /// <summary>Cancels the pending retries and frees the helper. Safe to call twice, from any
        /// thread, and from inside an action.</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
            }
            sipw.sipw_retry_destroy(_native);  // afterwards native code calls nothing any more
            List<Pending> cancelled;
            lock (_gate) cancelled = new List<Pending>(_pending);
            foreach (var p in cancelled) Release(p);
        }

        sealed class Pending
        {
            public readonly Retry Owner;
            public readonly Action<string> Action;
            public GCHandle Handle;
            public Pending(Retry owner, Action<string> action)
            {
                Owner = owner; Action = action; Handle = GCHandle.Alloc(this);
            }
        }

        // Runs on the native timer thread: nothing may escape into native code.
        static void FireFromNative(IntPtr idUtf8, IntPtr userData)
        {
            var pending = (Pending)GCHandle.FromIntPtr(userData).Target;
            string id = Utf8.FromNative(idUtf8);
            try { pending.Action(id); }
            catch (Exception e) { pending.Owner.Report(e, id); }
            finally { pending.Owner.Release(pending); }
        }

        void Release(Pending pending)
        {
            lock (_gate)
            {
                if (!_pending.Remove(pending)) return;  // already released by the other side
            }
            pending.Handle.Free();
        }

        void Report(Exception e, string id)
        {
            try
            {
                var subscribers = HandlerError;
                if (subscribers != null) subscribers(this, new HandlerErrorEventArgs(e, id, null));
                else Trace.TraceError("sipworker: retry action for \"{0}\" threw: {1}", id, e);
            }
            catch
            {
                // A throwing HandlerError subscriber has nowhere left to report to.
            }
        }

        // The counter functions answer 0 on failure; the core's last error tells failure from 0.
        int Checked(Func<int> call)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(Retry));
            int result = call();
            int code = sipw.sipw_last_error_code();
            if (code != 0) throw SipwException.FromLastError(code);
            return result;
        }
    }
}
