// Answers 401/407 digest challenges for one nua handle (REGISTER, INVITE), shared by the
// registration and the sessions.
#pragma once

#include "config/config.hpp"

#include <sofia-sip/nua.h>

namespace sipw {

class DigestAuth {
public:
    explicit DigestAuth(const Config &config) : config_(config) {}

    // Answers the challenge in `sip` with nua_authenticate. False when there is nothing to
    // answer or answering again would be pointless: a second challenge after an answer means the
    // credentials are wrong (unless the server only says the nonce went stale), and a realm other
    // than the configured one is never answered.
    bool answer(nua_handle_t *handle, const sip_t *sip);
    // A request succeeded: the next challenge is a fresh one.
    void reset() { answered_ = 0; }

private:
    const Config &config_;
    int answered_ = 0;
};

}  // namespace sipw
