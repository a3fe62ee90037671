#include "sip/sip_parser.hpp"

#include <sofia-sip/bnf.h>
#include <sofia-sip/msg_parser.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_hclasses.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su_string.h>
#include <sofia-sip/url.h>

#include <cstring>
#include <mutex>

namespace sipw {

namespace {

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~").
bool isToken(unsigned char c) { return c && (IS_ALPHANUM(c) || std::strchr("-.!%*_+`'~", c)); }

// sofia-sip reads method names as URL "unreserved" characters (sip_method_d): a token with one
// of the others ('`', '+', '%' where its table lacks them) makes the whole request unreadable.
bool sofiaRefusesMethod(const char *s) {
    std::size_t n = 0;
    bool refused = false;
    for (; isToken(static_cast<unsigned char>(s[n])); ++n) refused |= !IS_UNRESERVED(s[n]);
    return n > 0 && refused;
}

// Cuts the token at `s` with a NUL and returns what follows it (after the whitespace), or null
// unless whitespace or the end follows the token.
char *cutToken(char *s) {
    std::size_t length = 0;
    while (isToken(static_cast<unsigned char>(s[length]))) ++length;
    if (length == 0) return nullptr;
    if (!s[length]) return s + length;
    if (!IS_LWS(s[length])) return nullptr;
    s[length] = '\0';
    char *rest = s + length + 1;
    return rest + span_lws(rest);
}

// Method SP Request-URI SP SIP-Version
issize_t decodeRequestLine(su_home_t *home, msg_header_t *h, char *s, isize_t slen) {
    if (!sofiaRefusesMethod(s)) return sip_request_class->hc_parse(home, h, s, slen);
    auto *rq = reinterpret_cast<sip_request_t *>(h);
    char *uri = cutToken(s);
    if (!uri || !*uri) return -1;
    char *space = std::strchr(uri, ' ');
    if (!space) return -1;
    *space = '\0';
    char *version = space + 1;
    rq->rq_method = sip_method_unknown;
    rq->rq_method_name = s;
    if (url_d(rq->rq_url, uri) < 0) return -1;
    if (sip_version_d(&version, &rq->rq_version) < 0 || *version) return -1;
    return 0;
}

// 1*DIGIT LWS Method
issize_t decodeCSeq(su_home_t *home, msg_header_t *h, char *s, isize_t slen) {
    char *method = s;
    while (IS_DIGIT(*method)) ++method;
    method += span_lws(method);
    if (method == s || !sofiaRefusesMethod(method)) return sip_cseq_class->hc_parse(home, h, s, slen);
    auto *cs = reinterpret_cast<sip_cseq_t *>(h);
    if (msg_uint32_d(&s, &cs->cs_seq) < 0) return -1;
    char *rest = cutToken(method);
    if (!rest || *rest) return -1;
    cs->cs_method = sip_method_unknown;
    cs->cs_method_name = method;
    return 0;
}

// A branch parameter with an empty value, the '=' dropped: a parameter without a value, which
// sofia-sip reads as no branch.
issize_t decodeVia(su_home_t *home, msg_header_t *h, char *s, isize_t slen) {
    for (char *p = s; (p = std::strchr(p, ';')) != nullptr; ++p) {
        char *name = p + 1 + span_lws(p + 1);
        if (!su_casenmatch(name, "branch", 6)) continue;
        char *equals = name + 6 + span_lws(name + 6);
        if (*equals != '=') continue;
        char *value = equals + 1 + span_lws(equals + 1);
        if (*value && *value != ';' && *value != ',' && *value != '(') continue;
        std::memmove(equals, value, std::strlen(value) + 1);
        slen -= value - equals;
    }
    return sip_via_class->hc_parse(home, h, s, slen);
}

// Parsing of a named header goes through `replacement`, found first by name; the original stays
// in the table after it, where code that makes such headers (by class pointer) still finds it.
void parseNamedHeaderWith(msg_mclass_t *mc, msg_hclass_t *original, msg_hclass_t *replacement) {
    int size = mc->mc_hash_size;
    int slot = -1;
    for (int i = 0; i < size; ++i) {
        if (mc->mc_hash[i].hr_class == original) slot = i;
    }
    if (slot < 0) return;
    int next = (slot + 1) % size;
    while (mc->mc_hash[next].hr_class && next != slot) next = (next + 1) % size;
    if (next == slot) return;  // full table: keep sofia-sip's parser
    mc->mc_hash[next] = mc->mc_hash[slot];
    mc->mc_hash[slot].hr_class = replacement;
    ++mc->mc_hash_used;
    if (original->hc_short[0] && mc->mc_short) {
        auto *shorts = const_cast<msg_href_t *>(mc->mc_short);
        char compact = original->hc_short[0];
        if (compact >= 'a' && compact <= 'z' && shorts[compact - 'a'].hr_class == original)
            shorts[compact - 'a'].hr_class = replacement;
    }
}

msg_hclass_s requestClass, cseqClass, viaClass;

}  // namespace

msg_mclass_t const *sipMessageClass() {
    static msg_mclass_t *mclass = nullptr;
    static std::once_flag once;
    std::call_once(once, [] {
        mclass = msg_mclass_clone(sip_default_mclass(), 0, 0);
        if (!mclass) return;
        requestClass = *sip_request_class;
        requestClass.hc_parse = decodeRequestLine;
        cseqClass = *sip_cseq_class;
        cseqClass.hc_parse = decodeCSeq;
        viaClass = *sip_via_class;
        viaClass.hc_parse = decodeVia;
        // The request line has no name: it is looked up by hash, never by class pointer.
        mclass->mc_request[0].hr_class = &requestClass;
        parseNamedHeaderWith(mclass, sip_cseq_class, &cseqClass);
        parseNamedHeaderWith(mclass, sip_via_class, &viaClass);
    });
    return mclass ? mclass : sip_default_mclass();
}

}  // namespace sipw
