// Must compile: the control for the probes that must not (the SIP layer sees what it links).
#include "base/event.hpp"
#include "config/config.hpp"
#include "media_api/media_session.hpp"
#include "sip/session.hpp"
#include "ws/ws_adapter.hpp"
