#include "tests/simulators/veeam/secrets.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace sim::veeam {

bytes random_bytes(std::size_t n) {
    bytes out(n);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
    return out;
}

std::string base64(std::span<const unsigned char> data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64url(std::span<const unsigned char> data) {
    std::string out = base64(data);
    std::replace(out.begin(), out.end(), '+', '-');
    std::replace(out.begin(), out.end(), '/', '_');
    out.erase(out.find_last_not_of('=') + 1);
    return out;
}

std::string hex_upper(std::span<const unsigned char> data) {
    static constexpr std::string_view digits = "0123456789ABCDEF";
    std::string out;
    for (unsigned char byte : data) {
        out.push_back(digits[byte >> 4]);
        out.push_back(digits[byte & 0x0fU]);
    }
    return out;
}

std::string hex_base64_token() {
    const std::string hex = hex_upper(random_bytes(32));
    return base64(std::span(reinterpret_cast<const unsigned char*>(hex.data()), hex.size()));
}

}  // namespace sim::veeam
