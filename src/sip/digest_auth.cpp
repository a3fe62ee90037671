#include "sip/digest_auth.hpp"

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>

#include <glib.h>

#include <string>

namespace sipw {

bool DigestAuth::answer(nua_handle_t *handle, const sip_t *sip) {
    const msg_auth_t *challenge = sip ? (sip->sip_www_authenticate ? sip->sip_www_authenticate
                                                                   : sip->sip_proxy_authenticate)
                                      : nullptr;
    if (!challenge) return false;
    const char *stale = msg_params_find(challenge->au_params, "stale=");
    bool isStale = stale && g_ascii_strcasecmp(stale, "true") == 0;
    if (answered_ > 0 && !isStale) return false;
    const char *realm = msg_params_find(challenge->au_params, "realm=");
    if (!realm) return false;
    std::string quotedRealm = realm;  // keeps the quotes, as NUTAG_AUTH wants them
    if (!config_.realm.empty() && quotedRealm != "\"" + config_.realm + "\"") return false;
    const std::string &user = config_.authorizationUser.empty() ? config_.user : config_.authorizationUser;
    std::string credentials = std::string(challenge->au_scheme) + ":" + quotedRealm + ":" + user + ":" + config_.password;
    ++answered_;
    nua_authenticate(handle, NUTAG_AUTH(credentials.c_str()), TAG_END());
    return true;
}

}  // namespace sipw
