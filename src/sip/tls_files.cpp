#include "sip/tls_files.hpp"

#include "base/error.hpp"

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <mutex>

namespace sipw {

namespace {

struct Deleter {
    void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
    void operator()(X509 *p) const { X509_free(p); }
    void operator()(BIO *p) const { BIO_free(p); }
    void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleter>;

[[noreturn]] void setupFailed(const std::string &why) {
    throw Error(ResultCode::Internal, "tls_setup_failed", {why});
}

// A self-signed P-256 certificate and its key, PEM, in one string (the agent.pem layout).
std::string makeClientIdentity() {
    Owned<EVP_PKEY_CTX> kctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
    EVP_PKEY *rawKey = nullptr;
    if (!kctx || EVP_PKEY_keygen_init(kctx.get()) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx.get(), NID_X9_62_prime256v1) <= 0 ||
        EVP_PKEY_keygen(kctx.get(), &rawKey) <= 0)
        setupFailed("key generation");
    Owned<EVP_PKEY> key(rawKey);

    Owned<X509> cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(g_random_int() & 0x7fffffff));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600L * 24 * 365);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME *name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>("sipworker client"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) setupFailed("certificate signing");

    Owned<BIO> bio(BIO_new(BIO_s_mem()));
    if (!PEM_write_bio_X509(bio.get(), cert.get()) ||
        !PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
        setupFailed("PEM encoding");
    char *data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
}

void writeFile(const std::string &path, const std::string &content) {
    GError *error = nullptr;
    if (!g_file_set_contents_full(path.c_str(), content.data(), static_cast<gssize>(content.size()),
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error)) {
        std::string why = error ? error->message : path;
        g_clear_error(&error);
        setupFailed(why);
    }
}

// Removes the generated folders when the process exits.
struct Folders {
    std::mutex mutex;
    std::map<std::string, std::string> byCaFile;
    std::string identity;
    ~Folders() {
        for (auto &[ca, dir] : byCaFile) {
            for (const char *f : {"agent.pem", "cafile.pem"}) g_unlink((dir + "/" + f).c_str());
            g_rmdir(dir.c_str());
        }
    }
};
Folders &folders() {
    static Folders instance;
    return instance;
}

}  // namespace

std::string systemCaBundle() {
    for (const char *p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                          "/etc/ssl/cert.pem"}) {
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) return p;
    }
    return {};
}

std::string tlsCertificateFolder(const std::string &caFile) {
    Folders &f = folders();
    std::lock_guard<std::mutex> lock(f.mutex);
    if (auto it = f.byCaFile.find(caFile); it != f.byCaFile.end()) return it->second;

    std::string source = caFile.empty() ? systemCaBundle() : caFile;
    gchar *contents = nullptr;
    gsize length = 0;
    if (source.empty() || !g_file_get_contents(source.c_str(), &contents, &length, nullptr))
        throw Error(ResultCode::InvalidArgument, "tls_ca_file_unreadable", {source.empty() ? "(system)" : source});
    std::string ca(contents, length);
    g_free(contents);
    if (ca.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
        throw Error(ResultCode::InvalidArgument, "tls_ca_file_unreadable", {source});

    if (f.identity.empty()) f.identity = makeClientIdentity();
    std::string templ = std::string(g_get_tmp_dir()) + "/sipw-tls-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!g_mkdtemp_full(buf.data(), 0700)) setupFailed("mkdtemp");
    std::string dir(buf.data());
    writeFile(dir + "/agent.pem", f.identity);
    writeFile(dir + "/cafile.pem", ca);
    f.byCaFile[caFile] = dir;
    return dir;
}

}  // namespace sipw
