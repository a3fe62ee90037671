// Must not compile: the SIP layer does not link the media layer, so media's headers are not on its path.
#include "media/sdp_util.hpp"
