// A fixture for the include check: a relative include that would reach around the layer views.
#include "../media/sdp_util.hpp"
