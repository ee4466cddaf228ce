#include "adapters/common/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <new>

namespace bg::crypto {

namespace {

const EVP_MD* evp_md(digest_algorithm alg)
{
    switch (alg) {
    case digest_algorithm::sha1: return EVP_sha1();
    case digest_algorithm::sha256: return EVP_sha256();
    case digest_algorithm::sha512: return EVP_sha512();
    }
    return EVP_sha256();
}

// OpenSSL fails these only when it cannot allocate: treat it as such.
void check(int openssl_ok)
{
    if (openssl_ok != 1)
        throw std::bad_alloc();
}

}  // namespace

sha256_digest sha256(std::string_view data)
{
    sha256_digest out{};
    unsigned int size = 0;
    check(EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr));
    return out;
}

std::vector<std::uint8_t> hmac(digest_algorithm alg, std::span<const std::uint8_t> key,
                               std::span<const std::uint8_t> data)
{
    // An empty span may have a null data(); OpenSSL wants a pointer even for an empty key.
    static constexpr std::uint8_t empty = 0;
    const EVP_MD* md = evp_md(alg);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int size = 0;
    const std::uint8_t* result = HMAC(md, key.empty() ? &empty : key.data(), static_cast<int>(key.size()),
                                      data.empty() ? &empty : data.data(), data.size(), out.data(), &size);
    check(result != nullptr ? 1 : 0);
    out.resize(size);
    return out;
}

sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::string_view data)
{
    auto mac = hmac(digest_algorithm::sha256, key, as_bytes(data));
    sha256_digest out{};
    std::copy(mac.begin(), mac.end(), out.begin());
    return out;
}

}  // namespace bg::crypto
