/* One SWIG interface for every binding over the flat C ABI (capi/sipw.h).
 * Shared part: ownership only. Language-specific typemaps live beside it (sipw_csharp.i, ...). */
%module sipw

%{
#include "sipw.h"
%}

#define SIPW_API

/* ---- ownership ---------------------------------------------------------------------------- */
/* The C types are opaque; empty bodies give SWIG proxy classes. Only sipw_event owns anything:
 * its proxy's destructor (Python GC, C# Dispose) calls sipw_event_free. Events passed to a
 * callback are borrowed and wrapped without ownership by the bindings. The worker proxy has no
 * destructor on purpose: only an explicit close()/Dispose() destroys a worker, never a finalizer
 * (a GC finalizer hanging up a live call on a GC thread is what pjsua2's users learned to fear). */
%nodefaultctor sipw_event;
%nodefaultctor sipw_worker;
%nodefaultdtor sipw_worker;
%nodefaultctor sipw_retry;
%nodefaultdtor sipw_retry;
struct sipw_event {};
struct sipw_worker {};
struct sipw_retry {};
%extend sipw_event {
    ~sipw_event() { sipw_event_free($self); }
}
%ignore sipw_event_free;   /* the proxy's destructor owns it */

/* Owned results: events from the pull functions, and the session-info string (malloc'ed by the
 * core: freed with sipw_free, not SWIG's default free/delete[]). */
%newobject sipw_wait_event;
%newobject sipw_wait_for;
%newobject sipw_session_info;
%typemap(newfree) char *sipw_session_info "sipw_free($1);";

/* ---- per-language parts ------------------------------------------------------------------- */
#if defined(SWIGCSHARP)
%include "sipw_csharp.i"
#endif

%include "sipw.h"
