// Must not compile: the media layer does not link the SIP layer.
#include "sip/session.hpp"
