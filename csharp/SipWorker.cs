// The idiomatic C# face of one sipworker user agent. Everything here is sugar and
// lifetime management over the SWIG-generated Sipworker.Native layer; the behaviour (validation,
// events, WaitFor's backlog) lives in the core.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using Sipworker.Native;

namespace Sipworker
{
    /// <summary>Arguments of <see cref="SipWorker.HandlerError"/>.</summary>
    public sealed class HandlerErrorEventArgs : EventArgs
    {
        /// <summary>What the handler threw.</summary>
        public Exception Exception { get; }
        /// <summary>The name the handler was registered with.</summary>
        public string ListenerName { get; }
        /// <summary>The event being delivered (null if the event itself could not be read).</summary>
        public CauseData Event { get; }
        public HandlerErrorEventArgs(Exception exception, string listenerName, CauseData ev)
        {
            Exception = exception; ListenerName = listenerName; Event = ev;
        }
    }

    /// <summary>
    /// One SIP user agent (the original library's SipWorker): <see cref="Post(Cmd, object)"/> commands,
    /// <c>On(name, handler)</c> events, <see cref="WaitFor(string, TimeSpan)"/>.
    /// </summary>
    /// <remarks>
    /// <para>Threads. Handlers run on the worker's native dispatch thread, one at a time, in event
    /// order; or, when <see cref="EventContext"/> is set, they are posted to that
    /// SynchronizationContext (a UI thread). A handler may call any method of the worker, Dispose
    /// included. An exception thrown by a handler never reaches native code (the runtime would end
    /// the process): it is caught and reported through <see cref="HandlerError"/>; other handlers
    /// still run.</para>
    /// <para>Lifetime. The worker has no finalizer: a GC thread never hangs up a call or
    /// unregisters. Call <see cref="Dispose"/> (or use <c>using</c>); a worker that is never disposed
    /// stays registered until the process ends. Each handler is kept alive (a GCHandle handed to
    /// native code as user_data, behind one static trampoline delegate) until <see cref="Off"/> or
    /// Dispose has made sure native code will never call it again.</para>
    /// <para>After Dispose every method throws <see cref="ObjectDisposedException"/>, except Off and
    /// Dispose, which do nothing; a call racing with Dispose on another thread gets the core's
    /// answer, <see cref="SipwException"/> with code ShuttingDown, and a WaitFor in progress returns
    /// null. While Dispose shuts the native worker down, handlers still receive its last events
    /// (unregistered, disconnected) on the dispatch thread; none runs after Dispose returned.
    /// Called from inside a handler, Dispose shuts the worker down on the dispatch thread, and no
    /// other handler runs once that handler has returned.</para>
    /// </remarks>
    public sealed partial class SipWorker : IDisposable
    {
        // One delegate for every listener of every worker, never collected: the native thunk the
        // runtime made for it stays valid for the whole process.
        static readonly SipwCallback Trampoline = DispatchFromNative;
        static readonly SendOrPostCallback DeliverOnContext = state => ((Delivery)state).Run();

        readonly object _gate = new object();
        readonly sipw_worker _native;
        volatile bool _disposed;
        readonly Dictionary<int, Listener> _listeners = new Dictionary<int, Listener>();
        readonly ManualResetEventSlim _destroyed = new ManualResetEventSlim(false);
        SynchronizationContext _eventContext;

        /// <summary>Raised when a handler threw, on the thread the handler ran on.</summary>
        public event EventHandler<HandlerErrorEventArgs> HandlerError;

        /// <param name="optionsJson">Create options, e.g. <c>{"eventQueue": true}</c>; null for defaults.</param>
        public SipWorker(string optionsJson = null) : this(optionsJson, null) { }

        /// <param name="optionsJson">Create options; null for defaults.</param>
        /// <param name="eventContext">Context handlers are posted to, typically
        /// <c>SynchronizationContext.Current</c> on a UI thread; null: the dispatch thread.</param>
        public SipWorker(string optionsJson, SynchronizationContext eventContext)
        {
            _eventContext = eventContext;
            _native = sipw.sipw_create(optionsJson);
            if (_native == null) throw SipwException.FromLastError(sipw.sipw_last_error_code());
        }

        /// <summary>Where handlers run: null for the native dispatch thread, or a context (a UI
        /// thread) they are posted to in event order. May be changed at any time.</summary>
        public SynchronizationContext EventContext
        {
            get => Volatile.Read(ref _eventContext);
            set => Volatile.Write(ref _eventContext, value);
        }

        public bool IsDisposed => _disposed;

        /// <summary>Version of the native library, e.g. "0.1.0".</summary>
        public static string NativeVersion => sipw.sipw_version();

        /// <summary>Text of a result code in "en" or "zh-CN".</summary>
        public static string ErrorText(int code, string locale = "en") => sipw.sipw_errstr(code, locale);

        // ---- commands ---------------------------------------------------------------------------

        /// <summary>Posts a command. <paramref name="data"/>: null, a JSON text, an
        /// IDictionary&lt;string, object&gt; or any object (anonymous types included) whose public
        /// properties become the fields, names as written (the original library's are camelCase).</summary>
        /// <exception cref="SipwException">The core refused it (see Code, Message, MessageCN).</exception>
        public void Post(Cmd cmd, object data = null) => Post(cmd.Value(), data);

        /// <summary>Posts a command by its string value (the original library's, or an extension).</summary>
        public void Post(string cmd, object data = null)
        {
            if (cmd == null) throw new ArgumentNullException(nameof(cmd));
            string json = ToPayload(data);
            ThrowIfDisposed();
            int rc = sipw.sipw_post(_native, cmd, json);
            if (rc < 0) throw SipwException.FromLastError(rc);
        }

        // ---- listeners --------------------------------------------------------------------------

        /// <summary>Calls <paramref name="handler"/> for every event whose channel or msg equals
        /// <paramref name="name"/> ("*": all). Returns the id for <see cref="Off"/>.</summary>
        public int On(string name, Action<CauseData> handler)
        {
            if (name == null) throw new ArgumentNullException(nameof(name));
            if (handler == null) throw new ArgumentNullException(nameof(handler));
            ThrowIfDisposed();
            var listener = new Listener(this, name, handler);
            listener.Handle = GCHandle.Alloc(listener);
            int id = sipw.sipw_on(_native, name, Trampoline, GCHandle.ToIntPtr(listener.Handle));
            if (id <= 0)
            {
                var error = SipwException.FromLastError(id);
                listener.Handle.Free();  // native code never stored it
                throw error;
            }
            lock (_gate)
            {
                // Dispose may have freed the others meanwhile: then the core dropped this one too.
                if (_destroyed.IsSet) listener.Handle.Free();
                else _listeners.Add(id, listener);
            }
            return id;
        }

        /// <summary><c>On(string, handler)</c> with an event name of the original library.</summary>
        public int On(Sipworker.On name, Action<CauseData> handler) => On(name.Value(), handler);

        /// <summary>Removes a listener. Once Off returns the handler is not running (unless Off was
        /// called from that very handler) and will never be called again, also not from an
        /// <see cref="EventContext"/> queue. Unknown or already removed ids are ignored.</summary>
        public void Off(int id)
        {
            Listener listener;
            lock (_gate)
            {
                if (!_listeners.TryGetValue(id, out listener)) return;
                listener.Removed = true;  // deliveries queued on an EventContext are dropped
            }
            // Waits for a running callback of this listener, also while Dispose runs. Refused once
            // the native worker is gone: then Dispose frees the handle.
            if (sipw.sipw_off(_native, id) != 0) return;
            lock (_gate)
            {
                if (!_listeners.Remove(id)) return;  // Dispose took it meanwhile, and frees it
            }
            listener.Handle.Free();  // native code will never pass this user_data again
        }

        // ---- blocking helper --------------------------------------------------------------------

        /// <summary>The first event matching <paramref name="name"/> (channel or msg) that no
        /// earlier WaitFor on this worker returned, including events that arrived before the call
        /// (the core keeps a bounded backlog), so <c>Post(INIT)</c> then <c>WaitFor("registered")</c>
        /// never misses a fast event. Null on timeout or when the worker is disposed meanwhile.
        /// A negative timeout (Timeout.InfiniteTimeSpan) waits forever.</summary>
        public CauseData WaitFor(string name, TimeSpan timeout) => WaitFor(name, null, timeout);

        public CauseData WaitFor(Sipworker.On name, TimeSpan timeout) => WaitFor(name.Value(), null, timeout);

        /// <summary>Like <see cref="WaitFor(string, TimeSpan)"/>, and the event's fields (or, for a
        /// field it lacks, its data's) must equal all fields of <paramref name="match"/> (e.g.
        /// <c>new { sessionId = id }</c>, <c>new { playId }</c>).</summary>
        public CauseData WaitFor(string name, object match, TimeSpan timeout)
        {
            if (name == null) throw new ArgumentNullException(nameof(name));
            string matchJson = ToPayload(match);
            ThrowIfDisposed();
            int timeoutMs = timeout < TimeSpan.Zero ? -1 : (int)Math.Min(int.MaxValue, (long)timeout.TotalMilliseconds);
            int rc = sipw.sipw_next_match(_native, name, matchJson, timeoutMs, out sipw_event ev);
            using (ev)
            {
                if (rc == 1) return new CauseData(sipw.sipw_event_name(ev), sipw.sipw_event_json(ev));
                if (rc == 0 || rc == SipwException.ShuttingDown) return null;  // timed out, or disposed meanwhile
                throw SipwException.FromLastError(rc);
            }
        }

        // ---- sessions (one method per command, Call() Hold() Dtmf()..., comes from the generated
        // Names.cs: the catalogue gives C# and Python the same ones) ----------------------------

        /// <summary>The session's state as the core's JSON object text (sessionId, direction,
        /// state, remoteUri, held, muted...), or null for an unknown session.</summary>
        public string SessionInfo(string sessionId)
        {
            if (sessionId == null) throw new ArgumentNullException(nameof(sessionId));
            ThrowIfDisposed();
            string info = sipw.sipw_session_info(_native, sessionId);
            int code = sipw.sipw_last_error_code();
            if (info != null || code == SipwException.UnknownSession) return info;
            throw SipwException.FromLastError(code);
        }

        // ---- disposal ---------------------------------------------------------------------------

        /// <summary>Hangs up every call, unregisters (bounded wait) and frees the native worker.
        /// Safe to call twice, from any thread, and from inside a handler (see the class remarks).</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
            }
            sipw.sipw_destroy(_native);  // waits for a running callback; none runs afterwards
            List<Listener> listeners;
            lock (_gate)
            {
                listeners = new List<Listener>(_listeners.Values);
                _listeners.Clear();
                _destroyed.Set();
            }
            foreach (var l in listeners)
            {
                l.Removed = true;  // deliveries still queued on an EventContext are dropped
                l.Handle.Free();
            }
        }

        /// <summary>Set once the native worker is destroyed.</summary>
        internal WaitHandle NativeDestroyed => _destroyed.WaitHandle;

        // ---- internals --------------------------------------------------------------------------

        sealed class Listener
        {
            public readonly SipWorker Owner;
            public readonly string Name;
            public readonly Action<CauseData> Handler;
            public GCHandle Handle;
            public volatile bool Removed;
            public Listener(SipWorker owner, string name, Action<CauseData> handler)
            {
                Owner = owner; Name = name; Handler = handler;
            }
        }

        sealed class Delivery
        {
            readonly Listener _listener;
            readonly CauseData _event;
            public Delivery(Listener listener, CauseData ev) { _listener = listener; _event = ev; }
            public void Run() => _listener.Owner.Invoke(_listener, _event);
        }

        // Runs on the native dispatch thread. Nothing may escape it: an exception unwinding into
        // native code ends the process on mono and .NET alike.
        static void DispatchFromNative(IntPtr ev, IntPtr userData)
        {
            Listener listener = null;
            CauseData data = null;
            try
            {
                listener = (Listener)GCHandle.FromIntPtr(userData).Target;
                if (listener.Removed) return;
                using (var borrowed = new sipw_event(ev, false))  // valid only during this call
                    data = new CauseData(sipw.sipw_event_name(borrowed), sipw.sipw_event_json(borrowed));
                SynchronizationContext context = listener.Owner.EventContext;
                if (context != null)
                    context.Post(DeliverOnContext, new Delivery(listener, data));
                else
                    listener.Owner.Invoke(listener, data);
            }
            catch (Exception e)
            {
                listener?.Owner.ReportHandlerError(e, listener.Name, data);
            }
        }

        void Invoke(Listener listener, CauseData data)
        {
            if (listener.Removed) return;
            try { listener.Handler(data); }
            catch (Exception e) { ReportHandlerError(e, listener.Name, data); }
        }

        void ReportHandlerError(Exception e, string listenerName, CauseData data)
        {
            try
            {
                var subscribers = HandlerError;
                if (subscribers != null) subscribers(this, new HandlerErrorEventArgs(e, listenerName, data));
                else Trace.TraceError("sipworker: handler for \"{0}\" threw: {1}", listenerName, e);
            }
            catch
            {
                // A throwing HandlerError subscriber has nowhere left to report to.
            }
        }

        void ThrowIfDisposed()
        {
            if (_disposed) throw new ObjectDisposedException(nameof(SipWorker));
        }

        static string ToPayload(object data) => data == null ? null : data as string ?? JsonWriter.Serialize(data);

        // A JSON text given for a nested value (CALL options...) is embedded as JSON, not as a string.
        static object EmbeddableJson(object value) => value is string text ? JsonReader.Parse(text) : value;
    }
}
