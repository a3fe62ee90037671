// Must not compile: the C header is on no layer's path, not even the worker's.
#include "sipw.h"
