// The request head and body framing as the gateway drives Beast (connection.cpp,
// phase 1): the bytes arrive in up to three pieces (the first two input bytes
// choose where they are cut), head_reader parses them, check_request_head()
// judges the head, and a chunked body is checked by chunked_framing while
// Beast parses it too: what Beast accepts whole, the framing check must not
// refuse.
#include "gateway/request_checks.hpp"

#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    namespace http = boost::beast::http;
    if (size < 2)
        return 0;
    const std::size_t cut1 = data[0], cut2 = data[1];
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    boost::beast::flat_buffer buffer;
    bg::head_reader head;
    boost::system::error_code ec;
    bool parsed = false;
    std::size_t at = 0;
    for (const std::size_t cut : {std::min(cut1, input.size()), std::min(cut1 + cut2, input.size()), input.size()}) {
        if (cut <= at)
            continue;
        const auto piece = input.substr(at, cut - at);
        at = cut;
        auto room = buffer.prepare(piece.size());
        std::memcpy(room.data(), piece.data(), piece.size());
        buffer.commit(piece.size());
        parsed = head.parse(parser, buffer, ec);
        if (parsed)
            break;
    }
    if (!parsed || ec)
        return 0;
    auto& req = parser.get();
    if (bg::check_request_head(req) || parser.is_done())
        return 0;
    // The rest of the input is the body.
    const std::string_view rest(static_cast<const char*>(buffer.data().data()), buffer.size());
    const bool chunked = req.chunked();
    bg::chunked_framing framing;
    const bool framing_ok = framing.feed(rest);
    http::request_parser<http::string_body> body{std::move(parser)};
    boost::system::error_code bec;
    std::size_t used = 0;
    while (used < rest.size() && !body.is_done()) {
        const auto n = body.put(boost::asio::buffer(rest.data() + used, rest.size() - used), bec);
        used += n;
        if (bec || n == 0)
            break;
    }
    if (chunked && body.is_done() && !bec && !framing_ok)
        std::abort();  // the framing check refused a body Beast took whole
    return 0;
}
