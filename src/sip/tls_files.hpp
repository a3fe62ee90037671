// The certificate folder sofia-sip's TLS transport needs (TPTAG_CERTIFICATE).
//
// sofia-sip 1.12 reads `agent.pem` (a local certificate and key, required even for a pure
// client) and `cafile.pem` (trusted CAs) from one folder. A softphone has no certificate of its
// own, so we generate a throw-away one per process, and copy the user's caFile (or the system
// bundle) next to it.
#pragma once

#include <string>

namespace sipw {

// Returns the folder for this CA file (empty: the system bundle), creating it once per process.
// Throws Error("tls_ca_file_unreadable" / "tls_setup_failed") on failure.
std::string tlsCertificateFolder(const std::string &caFile);

// The system CA bundle path (Debian: /etc/ssl/certs/ca-certificates.crt).
std::string systemCaBundle();

}  // namespace sipw
