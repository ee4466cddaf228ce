#include "adapters/common/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include <algorithm>
#include <new>

namespace bg::crypto {

namespace {

// OpenSSL 3 looks an algorithm up by name ("fetch") on every one-shot call
// (EVP_Digest with EVP_sha256(), HMAC()), under a lock, and allocates a
// context for it; on the request path (client keys, SigV4: six digests and
// MACs a request) that costs more than the hashing. So each thread fetches
// once and keeps its contexts; a MAC context is re-keyed for each use.
struct thread_contexts {
    EVP_MD* md[3] = {};
    EVP_MD_CTX* digest = nullptr;
    EVP_MAC* hmac = nullptr;
    EVP_MAC_CTX* mac[3] = {};

    thread_contexts()
    {
        static constexpr const char* names[] = {"SHA1", "SHA256", "SHA512"};  // digest_algorithm's order
        for (int i = 0; i < 3; ++i)
            md[i] = EVP_MD_fetch(nullptr, names[i], nullptr);
        digest = EVP_MD_CTX_new();
        hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        for (int i = 0; hmac && i < 3; ++i) {
            mac[i] = EVP_MAC_CTX_new(hmac);
            OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(names[i]), 0),
                OSSL_PARAM_construct_end()};
            if (mac[i] && EVP_MAC_CTX_set_params(mac[i], params) != 1) {
                EVP_MAC_CTX_free(mac[i]);
                mac[i] = nullptr;
            }
        }
    }
    ~thread_contexts()
    {
        for (auto* c : mac)
            EVP_MAC_CTX_free(c);
        EVP_MAC_free(hmac);
        EVP_MD_CTX_free(digest);
        for (auto* m : md)
            EVP_MD_free(m);
    }
    thread_contexts(const thread_contexts&) = delete;
    thread_contexts& operator=(const thread_contexts&) = delete;
};

thread_contexts& contexts()
{
    thread_local thread_contexts c;
    return c;
}

// OpenSSL fails these only when it cannot allocate: treat it as such.
void check(int openssl_ok)
{
    if (openssl_ok != 1)
        throw std::bad_alloc();
}

// An empty span may have a null data(); OpenSSL wants a pointer even for empty input.
const std::uint8_t* bytes_of(std::span<const std::uint8_t> s)
{
    static constexpr std::uint8_t empty = 0;
    return s.empty() ? &empty : s.data();
}

}  // namespace

sha256_digest sha256(std::string_view data)
{
    auto& c = contexts();
    const EVP_MD* md = c.md[static_cast<int>(digest_algorithm::sha256)];
    check(md && c.digest ? 1 : 0);
    sha256_digest out{};
    unsigned int size = 0;
    check(EVP_DigestInit_ex2(c.digest, md, nullptr));
    check(EVP_DigestUpdate(c.digest, data.data(), data.size()));
    check(EVP_DigestFinal_ex(c.digest, out.data(), &size));
    return out;
}

namespace {

// The MAC into `out` (at least the digest's size); its length.
std::size_t mac_into(digest_algorithm alg, std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                     std::uint8_t* out, std::size_t capacity)
{
    auto* ctx = contexts().mac[static_cast<int>(alg)];
    check(ctx ? 1 : 0);
    std::size_t size = 0;
    check(EVP_MAC_init(ctx, bytes_of(key), key.size(), nullptr));
    check(EVP_MAC_update(ctx, bytes_of(data), data.size()));
    check(EVP_MAC_final(ctx, out, &size, capacity));
    return size;
}

}  // namespace

std::vector<std::uint8_t> hmac(digest_algorithm alg, std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> data)
{
    std::uint8_t out[EVP_MAX_MD_SIZE];
    const auto size = mac_into(alg, key, data, out, sizeof out);
    return {out, out + size};
}

sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data)
{
    sha256_digest out{};
    check(mac_into(digest_algorithm::sha256, key, as_bytes(data), out.data(), out.size()) == out.size() ? 1 : 0);
    return out;
}

}  // namespace bg::crypto
