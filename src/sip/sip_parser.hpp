// The SIP message class every SipStack parses with: sofia-sip's own, with three repairs for
// requests RFC 3261 allows (or that a UA must still answer) but sofia-sip 1.12 drops without a
// word, because a request that cannot be parsed cannot be answered:
//
//  - a method name with token characters that sofia-sip's method parser does not take ('`', and
//    any other RFC 3261 token character outside its URL "unreserved" set), in the request line
//    and in CSeq (RFC 4475 §3.1.1.3 "intmeth"): parsed as an unknown method, so it gets 501;
//  - a Via whose branch parameter is empty ("branch="): read as a Via without a branch, i.e. an
//    RFC 2543 request, which RFC 3261 §17.2.3 still matches and answers.
//
// Not repaired: a NUL byte inside a header (RFC 4475's intmeth escapes one in To). sofia-sip's
// parser works on C strings; such a request gets "400 Bad To Header", an answer at least.
//
// Everything else is sofia-sip's parser unchanged.
#pragma once

#include <sofia-sip/msg_mclass.h>

namespace sipw {

// Made once per process (never freed); give it to nua_create as NTATAG_MCLASS.
msg_mclass_t const *sipMessageClass();

}  // namespace sipw
