#define BOOST_TEST_MODULE veeam totp
#include <boost/test/unit_test.hpp>

#include "tests/simulators/veeam/totp.hpp"

#include <string>
#include <string_view>

namespace veeam = sim::veeam;

namespace {

veeam::bytes ascii(std::string_view text) { return {text.begin(), text.end()}; }

// RFC 6238 Appendix B: the SHA1 seed is the 20 ASCII bytes "12345678901234567890".
const veeam::bytes rfc6238_sha1_key = ascii("12345678901234567890");

}  // namespace

// RFC 4648 §10 test vectors.
BOOST_AUTO_TEST_CASE(base32_round_trips_rfc4648_vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""},
        {"f", "MY"},
        {"fo", "MZXQ"},
        {"foo", "MZXW6"},
        {"foob", "MZXW6YQ"},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI"},
    };
    for (const auto& [plain, encoded] : vectors) {
        BOOST_TEST(veeam::base32_encode(ascii(plain)) == std::string(encoded));
        BOOST_TEST((veeam::base32_decode(encoded) == ascii(plain)));
    }
    BOOST_TEST((veeam::base32_decode("MZXW6YTBOI======") == ascii("foobar")));  // padding is optional
    BOOST_TEST((veeam::base32_decode("mzxw6ytboi") == ascii("foobar")));        // apps accept lower case
}

BOOST_AUTO_TEST_CASE(base32_rejects_what_is_not_base32) {
    BOOST_TEST(!veeam::base32_decode("MZXW1"));  // '1' is not in the alphabet
    BOOST_TEST(!veeam::base32_decode("MZ XW"));
    BOOST_TEST(!veeam::base32_decode("MZ"));  // its two trailing bits are not zero ("MY" is "f")
    BOOST_TEST(!veeam::base32_decode("A"));   // a character that carries no byte
}

// The overview's "Enabling MFA" secretKey: 26 characters, 16 bytes.
BOOST_AUTO_TEST_CASE(decodes_the_documents_secret_key) {
    const auto key = veeam::base32_decode("5XKNCVA54BPWQWCXLJZYLMIBD4");
    BOOST_REQUIRE(key);
    BOOST_TEST(key->size() == 16u);
    BOOST_TEST(veeam::base32_encode(*key) == "5XKNCVA54BPWQWCXLJZYLMIBD4");
}

// RFC 4226 Appendix D: HOTP values for counters 0..9 with the same key.
BOOST_AUTO_TEST_CASE(hotp_matches_rfc4226_appendix_d) {
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < 10; ++counter)
        BOOST_TEST(veeam::hotp(rfc6238_sha1_key, counter, 6) == expected[counter]);
}

// RFC 6238 Appendix B, the SHA1 rows (8 digits, X = 30, T0 = 0).
BOOST_AUTO_TEST_CASE(totp_matches_rfc6238_appendix_b_sha1) {
    const std::pair<std::int64_t, std::string_view> rows[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    for (const auto& [time, code] : rows) {
        BOOST_TEST(veeam::totp(rfc6238_sha1_key, time, {.digits = 8}) == std::string(code));
        BOOST_TEST(veeam::totp_matches(rfc6238_sha1_key, code, time, 0, {.digits = 8}));
    }
}

// Six digits are the last six of the eight (both are the truncated value mod 10^d).
BOOST_AUTO_TEST_CASE(six_digit_codes_are_the_low_digits) {
    BOOST_TEST(veeam::totp(rfc6238_sha1_key, 59) == "287082");
    BOOST_TEST(veeam::totp(rfc6238_sha1_key, 1111111109) == "081804");
}

// RFC 6238 §5.2: one step of drift either side is accepted, two are not.
BOOST_AUTO_TEST_CASE(window_allows_one_step_either_side) {
    const std::int64_t now = 1111111111;
    const std::string previous = veeam::totp(rfc6238_sha1_key, now - 30);
    const std::string next = veeam::totp(rfc6238_sha1_key, now + 30);
    const std::string too_old = veeam::totp(rfc6238_sha1_key, now - 60);
    BOOST_TEST(veeam::totp_matches(rfc6238_sha1_key, previous, now));
    BOOST_TEST(veeam::totp_matches(rfc6238_sha1_key, next, now));
    BOOST_TEST(!veeam::totp_matches(rfc6238_sha1_key, too_old, now));
    BOOST_TEST(!veeam::totp_matches(rfc6238_sha1_key, previous, now, 0));
}

BOOST_AUTO_TEST_CASE(rejects_codes_of_the_wrong_shape) {
    const std::int64_t now = 59;
    BOOST_TEST(!veeam::totp_matches(rfc6238_sha1_key, "", now));
    BOOST_TEST(!veeam::totp_matches(rfc6238_sha1_key, "28708", now));
    BOOST_TEST(!veeam::totp_matches(rfc6238_sha1_key, "2870820", now));
    BOOST_TEST(!veeam::totp_matches(rfc6238_sha1_key, "94287082", now));  // the 8-digit code
}
