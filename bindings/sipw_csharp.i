/* C#-only part of bindings/sipw.i. Only marshalling lives here; the idiomatic layer is csharp/.
 *
 * Callbacks: sipw_callback / sipw_retry_callback become delegates declared in
 * csharp/Native/NativeTypes.cs. The runtime turns a delegate into a native thunk that lives only
 * as long as the delegate object, so the C# layer passes one static delegate (never collected)
 * and carries per-listener state in user_data as a GCHandle.
 *
 * Strings: marshalled as explicit UTF-8 byte arrays / IntPtr instead of the default LPStr, which
 * is UTF-8 on mono and .NET Core on Linux but the ANSI code page on .NET Framework/Windows (where
 * Chinese texts would be mangled). Returned `const char *` are borrowed and copied at once. */

/* ---- callbacks and opaque user pointers --------------------------------------------------- */
%typemap(ctype)  sipw_callback "sipw_callback"
%typemap(imtype) sipw_callback "global::Sipworker.Native.SipwCallback"
%typemap(cstype) sipw_callback "global::Sipworker.Native.SipwCallback"
%typemap(in)     sipw_callback %{ $1 = $input; %}
%typemap(csin)   sipw_callback "$csinput"

%typemap(ctype)  sipw_retry_callback "sipw_retry_callback"
%typemap(imtype) sipw_retry_callback "global::Sipworker.Native.SipwRetryCallback"
%typemap(cstype) sipw_retry_callback "global::Sipworker.Native.SipwRetryCallback"
%typemap(in)     sipw_retry_callback %{ $1 = $input; %}
%typemap(csin)   sipw_retry_callback "$csinput"

/* user_data carries a GCHandle; sipw_free takes the IntPtr of an owned string. */
%apply void *VOID_INT_PTR { void *user_data, void *p }

/* ---- UTF-8 strings in ---------------------------------------------------------------------- */
%typemap(imtype, out="global::System.IntPtr") const char * "byte[]"
%typemap(cstype) const char * "string"
%typemap(csin) const char * "global::Sipworker.Native.Utf8.ToNative($csinput)"

/* ---- UTF-8 strings out (borrowed: copy now) ------------------------------------------------- */
%typemap(out) const char * %{ $result = (char *)$1; %}
%typemap(csout, excode=SWIGEXCODE) const char * {
    string ret = global::Sipworker.Native.Utf8.FromNative($imcall);$excode
    return ret;
  }

/* ---- owned string out: the session info JSON ---------------------------------------------- */
/* The shared interface frees it in the C wrapper (newfree); here the pointer crosses to C# as an
 * IntPtr, is decoded, then freed with sipw_free, so the C side must not free it first. */
%typemap(newfree) char *sipw_session_info ""
%typemap(imtype) char *sipw_session_info "global::System.IntPtr"
%typemap(cstype) char *sipw_session_info "string"
%typemap(out) char *sipw_session_info %{ $result = $1; %}
%typemap(csout, excode=SWIGEXCODE) char *sipw_session_info {
    global::System.IntPtr owned = $imcall;$excode
    try {
      return global::Sipworker.Native.Utf8.FromNative(owned);
    } finally {
      $imclassname.sipw_free(owned);
    }
  }

/* ---- pulled events: `out sipw_event` (null unless the function returned 1) --------------------- */
%typemap(ctype)  sipw_event **out "sipw_event **"
%typemap(imtype) sipw_event **out "out global::System.IntPtr"
%typemap(cstype) sipw_event **out "out sipw_event"
%typemap(in)     sipw_event **out %{ $1 = $input; %}
%typemap(csin, pre="    global::System.IntPtr pulled$csinput = global::System.IntPtr.Zero;",
         post="      $csinput = pulled$csinput == global::System.IntPtr.Zero ? null : new sipw_event(pulled$csinput, true);")
         sipw_event **out "out pulled$csinput"

/* The retry helper's pull model serves callers that must not run on native threads; C# takes its
 * callbacks (sipw_retry_delay) on the timer thread instead. */
%ignore sipw_retry_delay_queued;
%ignore sipw_retry_next_due;
%ignore sipw_retry_fd;

/* #define constants (result codes, version) become C# const literals instead of getter calls. */
%csconst(1);
