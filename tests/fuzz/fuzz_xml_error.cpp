// CloudBasic's XML error body (adapters/cloudbasic/cloudbasic_list.*): any
// body gives the vendor's message or nothing.
#include "adapters/cloudbasic/cloudbasic_list.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    bg::adapters::upstream_response res{boost::beast::http::status::bad_request, 11};
    res.set(boost::beast::http::field::content_type, "application/xml");
    res.body().assign(reinterpret_cast<const char*>(data), size);
    (void)bg::adapters::cloudbasic_error_message(res);
    return 0;
}
