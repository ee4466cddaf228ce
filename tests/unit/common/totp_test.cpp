// bg::totp against RFC 4226 Appendix D, RFC 6238 Appendix B and RFC 4648 section 10.
#define BOOST_TEST_MODULE totp
#include <boost/test/unit_test.hpp>

#include "adapters/common/totp.hpp"

#include <array>
#include <string>
#include <vector>

using namespace bg::totp;
using namespace std::chrono_literals;

// Boost.Test prints both sides of a failed ==; these types have no operator<<.
using optional_bytes = std::optional<std::vector<std::uint8_t>>;
using byte_vector = std::vector<std::uint8_t>;
BOOST_TEST_DONT_PRINT_LOG_VALUE(optional_bytes)
BOOST_TEST_DONT_PRINT_LOG_VALUE(byte_vector)

namespace {

std::vector<std::uint8_t> bytes(std::string_view s)
{
    return {s.begin(), s.end()};
}

// RFC 6238 Appendix A: the seed for each hash is "1234567890" repeated to the hash's size.
const auto seed_sha1 = bytes("12345678901234567890");
const auto seed_sha256 = bytes("12345678901234567890123456789012");
const auto seed_sha512 = bytes("1234567890123456789012345678901234567890123456789012345678901234");

struct rfc6238_row {
    std::int64_t unix_time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
};

// RFC 6238 Appendix B, 8 digits, step 30 s, T0 = 0.
constexpr std::array<rfc6238_row, 6> rfc6238_table{{
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
}};

std::chrono::sys_seconds at(std::int64_t unix_seconds)
{
    return std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(rfc4226_appendix_d)
{
    constexpr std::array<const char*, 10> expected{"755224", "287082", "359152", "969429", "338314",
                                                   "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < expected.size(); ++counter)
        BOOST_TEST(hotp(seed_sha1, counter) == expected[counter], "counter " << counter);
}

BOOST_AUTO_TEST_CASE(rfc6238_appendix_b)
{
    for (const auto& row : rfc6238_table) {
        BOOST_TEST_CONTEXT("time " << row.unix_time)
        {
            BOOST_TEST(code(seed_sha1, at(row.unix_time), 8, 30s, algorithm::sha1) == row.sha1);
            BOOST_TEST(code(seed_sha256, at(row.unix_time), 8, 30s, algorithm::sha256) == row.sha256);
            BOOST_TEST(code(seed_sha512, at(row.unix_time), 8, 30s, algorithm::sha512) == row.sha512);
        }
    }
}

BOOST_AUTO_TEST_CASE(rfc6238_appendix_b_through_system_clock)
{
    // Every row but the last (year 2603), which a nanosecond time_point cannot hold.
    for (const auto& row : rfc6238_table) {
        if (row.unix_time > 9'000'000'000)
            continue;
        const time_point t{std::chrono::seconds{row.unix_time}};
        BOOST_TEST(code(seed_sha1, t, 8, 30s, algorithm::sha1) == row.sha1, "time " << row.unix_time);
        BOOST_TEST(code(seed_sha256, t, 8, 30s, algorithm::sha256) == row.sha256, "time " << row.unix_time);
        BOOST_TEST(code(seed_sha512, t, 8, 30s, algorithm::sha512) == row.sha512, "time " << row.unix_time);
    }
}

BOOST_AUTO_TEST_CASE(defaults_are_six_digits_sha1_thirty_seconds)
{
    // The low six digits of the SHA-1 column, as an authenticator app would show them.
    BOOST_TEST(code(seed_sha1, at(59)) == "287082");
    BOOST_TEST(code(seed_sha1, at(1111111109)) == "081804");
    // The same code for the whole step, a new one at the next.
    BOOST_TEST(code(seed_sha1, at(30)) == code(seed_sha1, at(59)));
    BOOST_TEST(code(seed_sha1, at(60)) != code(seed_sha1, at(59)));
    // Sub-second parts do not move a time into the next step.
    BOOST_TEST(code(seed_sha1, time_point{59s + 999ms}) == "287082");
    BOOST_TEST(code(seed_sha1, time_point{60s}) != "287082");
    // Before the epoch: step 0.
    BOOST_TEST(code(seed_sha1, time_point{-3600s}) == hotp(seed_sha1, 0));
}

BOOST_AUTO_TEST_CASE(digits_are_zero_padded_and_clamped)
{
    BOOST_TEST(hotp(seed_sha1, 0, 10).size() == 10u);
    BOOST_TEST(hotp(seed_sha1, 0, 12).size() == 10u);
    BOOST_TEST(hotp(seed_sha1, 0, 0).size() == 1u);
    BOOST_TEST(code(seed_sha1, at(1111111109), 8) == "07081804");
}

BOOST_AUTO_TEST_CASE(rfc4648_base32_vectors)
{
    BOOST_TEST(decode_base32("") == bytes(""));
    BOOST_TEST(decode_base32("MY======") == bytes("f"));
    BOOST_TEST(decode_base32("MZXQ====") == bytes("fo"));
    BOOST_TEST(decode_base32("MZXW6===") == bytes("foo"));
    BOOST_TEST(decode_base32("MZXW6YQ=") == bytes("foob"));
    BOOST_TEST(decode_base32("MZXW6YTB") == bytes("fooba"));
    BOOST_TEST(decode_base32("MZXW6YTBOI======") == bytes("foobar"));
}

BOOST_AUTO_TEST_CASE(base32_as_authenticator_apps_show_it)
{
    // Lowercase, grouped with spaces, padding dropped.
    BOOST_TEST(decode_base32("mzxw 6ytb oi") == bytes("foobar"));
    BOOST_TEST(decode_base32("MZXW6YTBOI") == bytes("foobar"));
    // "12345678901234567890" (the RFC seed) as apps would show it.
    BOOST_TEST(decode_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") == seed_sha1);
}

BOOST_AUTO_TEST_CASE(base32_rejects_what_no_encoder_produces)
{
    BOOST_TEST(!decode_base32("MZXW1"));                    // '1' is not in the alphabet
    BOOST_TEST(!decode_base32("MZ-XW"));                    // neither is '-'
    BOOST_TEST(!decode_base32("M"));                        // 5 bits: not a byte
    BOOST_TEST(!decode_base32("MZX"));                      // 15 bits
    BOOST_TEST(!decode_base32("MZXW6Y"));                   // 30 bits
    BOOST_TEST(decode_base32("MZXW6YQ") == bytes("foob"));  // 7 characters are 4 bytes
}
