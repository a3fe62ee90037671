/* sipw.i — the one SWIG interface over the flat C ABI (capi/sipw.h), shared by Python and C#.
 *
 * It wraps C functions only (no C++ classes, no directors): every behaviour both languages share
 * lives in the core behind the C ABI; the per-language layers add only idiomatic sugar.
 * Per-language parts: the Python section below, C# in sipw_csharp.i.
 */
#if defined(SWIGPYTHON)
/* threads="1": every wrapper releases the GIL around the C call (same as `swig -threads`), because
   sipw_wait_event / sipw_wait_for block, and sipw_destroy / sipw_post may wait on native threads.
   The trivial getters below opt out with %nothread. */
%module(package="sipworker", threads="1") sipw
#else
%module sipw
#endif

%{
#include "sipw.h"
%}

#define SIPW_API

/* ---- ownership -------------------------------------------------------------------------------- */
/* The handles are opaque in C. Giving sipw_event an empty body lets SWIG generate a proxy whose
   destructor calls sipw_event_free, so an owned event is freed by Python's GC / C#'s Dispose().
   Borrowed events (callback arguments, C# only) are wrapped without ownership by the C# layer. */
%nodefaultctor sipw_event;
%nodefaultctor sipw_worker;
%nodefaultdtor sipw_worker;   /* only close()/Dispose() destroy a worker, never a finalizer */
%nodefaultctor sipw_retry;
%nodefaultdtor sipw_retry;    /* explicit sipw_retry_destroy, for the same reason */
struct sipw_event {};
struct sipw_worker {};
struct sipw_retry {};
%extend sipw_event {
    ~sipw_event() { sipw_event_free($self); }
}
%ignore sipw_event_free;      /* the proxy's destructor owns this */

/* Owned results: the caller frees events with sipw_event_free (proxy destructor above) and the
   session-info string with sipw_free — SWIG's default newfree would call free()/delete[].
   The pull functions' `sipw_event **out` is typemapped per language below. */
%newobject sipw_wait_event;
%newobject sipw_wait_for;
%newobject sipw_session_info;
%typemap(newfree) char *sipw_session_info "sipw_free($1);";

/* ---- per-language parts ----------------------------------------------------------------------- */
#if defined(SWIGPYTHON)
/* No native thread may call into Python: listeners are a Python-side feature fed by one Python
   thread pulling with sipw_wait_event (GIL released). So the function-pointer APIs are hidden. */
%ignore sipw_on;
%ignore sipw_off;
%ignore sipw_retry_delay;     /* its callback would run on the retry helper's native timer thread */
%ignore sipw_free;            /* only reached through %newobject's newfree */

/* Trivial getters: keep the GIL, there is nothing to wait for. sipw_last_error* read thread-local
   storage, which stays the same OS thread either way. */
%nothread sipw_event_name;
%nothread sipw_event_msg;
%nothread sipw_event_json;
%nothread sipw_last_error;
%nothread sipw_last_error_code;
%nothread sipw_last_error_text;
%nothread sipw_errstr;
%nothread sipw_version;
%nothread sipw_retry_get_count;
%nothread sipw_retry_is_max;
%nothread sipw_retry_retry;
%nothread sipw_retry_reset;
%nothread sipw_retry_update_max;
%nothread sipw_retry_delay_queued;
%nothread sipw_event_fd;
%nothread sipw_retry_fd;

/* Pull results come back as a tuple: (code, event or None) and (code, ticket). The event proxy owns
   what it wraps (SWIG_POINTER_OWN), so garbage collection frees it with sipw_event_free. */
%typemap(in, numinputs=0) sipw_event **out (sipw_event *pulled = NULL) { $1 = &pulled; }
%typemap(argout) sipw_event **out {
    $result = SWIG_Python_AppendOutput($result, pulled$argnum
        ? SWIG_NewPointerObj(SWIG_as_voidptr(pulled$argnum), $descriptor(sipw_event *), SWIG_POINTER_OWN)
        : SWIG_Py_Void());
}
%include <typemaps.i>
%apply long long *OUTPUT { long long *ticket };
#endif

#if defined(SWIGCSHARP)
%include "sipw_csharp.i"
#endif

/* The named constants first (SWIG does not follow sipw.h's #include): SIPW_OK..., SIPW_CMD_*, SIPW_ON_*. */
%include "sipw_names.h"
%include "sipw.h"
