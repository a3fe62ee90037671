#include "base/random_id.hpp"

#include <glib.h>

namespace sipw {

std::string randomId() {
    gchar *uuid = g_uuid_string_random();
    std::string id;
    for (const gchar *p = uuid; *p; ++p)
        if (*p != '-') id += *p;
    g_free(uuid);
    return id;
}

}  // namespace sipw
