#include "tests/simulators/common/server.hpp"

#include "tests/simulators/common/admin.hpp"
#include "tests/simulators/common/server_state.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sim {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t header_limit = 64 * 1024;
// Long enough for a gateway's pooled keep-alive connections to stay up between
// test steps; a real upstream would close idle connections at some point too.
constexpr auto idle_timeout = std::chrono::seconds(120);
constexpr auto io_timeout = std::chrono::seconds(60);

// chunk_size bytes of the streamed pattern from any offset: the pattern
// repeats every 251 bytes, so one buffer of chunk_size + 251 holds them all.
const std::uint8_t* pattern_at(std::uint64_t offset) {
    static const std::vector<std::uint8_t> pattern = [] {
        std::vector<std::uint8_t> p(chunk_size + 251);
        for (std::size_t i = 0; i < p.size(); ++i) p[i] = streamed_byte(i);
        return p;
    }();
    return pattern.data() + offset % 251;
}

response json_response(unsigned status, const json::value& body) {
    response res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = json::serialize(body);
    return res;
}

bool is_parse_error(const error_code& ec) {
    return ec.category() == make_error_code(http::error::bad_target).category();
}

// 1xx, 204 and 304 answers carry no body and no Content-Length.
bool bodiless(const response& res) {
    auto code = res.result_int();
    return code < 200 || code == 204 || code == 304;
}

// The HTTP/1.1 exchange shared by plain and TLS connections, which differ only
// in their stream (the shape of Beast's advanced_server_flex example). Every
// handler runs on the connection's strand.
template <class Derived>
class http_session {
public:
    http_session(detail::server_state& state, const asio::any_io_executor& ex) : state_(state), delay_(ex) {}

    void do_read() {
        parser_.emplace();
        parser_->body_limit(max_request_body);
        parser_->header_limit(header_limit);
        beast::get_lowest_layer(stream()).expires_after(idle_timeout);
        http::async_read_header(stream(), buffer_, *parser_,
                                beast::bind_front_handler(&http_session::on_header, self()));
    }

private:
    Derived& derived() { return static_cast<Derived&>(*this); }
    auto self() { return derived().shared_from_this(); }
    auto& stream() { return derived().stream(); }

    // A client that sent "Expect: 100-continue" (curl does for larger bodies)
    // waits for a 100 before it sends the body.
    void on_header(error_code ec, std::size_t n) {
        if (ec || parser_->is_done()) return on_read(ec, n);
        if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) return read_body();
        continue_ = http::response<http::empty_body>{http::status::continue_, parser_->get().version()};
        beast::get_lowest_layer(stream()).expires_after(io_timeout);
        http::async_write(stream(), continue_, beast::bind_front_handler(&http_session::on_continue, self()));
    }

    void on_continue(error_code ec, std::size_t) {
        if (!ec) read_body();
    }

    void read_body() {
        beast::get_lowest_layer(stream()).expires_after(io_timeout);
        http::async_read(stream(), buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, self()));
    }

    void on_read(error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream) return derived().do_eof();
        if (ec == http::error::body_limit)
            return answer_and_close(json_response(413, json::object{{"error", "request body too large"}}));
        if (ec && is_parse_error(ec))
            return answer_and_close(json_response(400, json::object{{"error", ec.message()}}));
        if (ec) return;  // timeout or the peer went away: nothing to answer
        req_ = parser_->release();
        keep_alive_ = req_.keep_alive();
        head_ = req_.method() == http::verb::head;
        version_ = req_.version();
        handle_request();
    }

    void handle_request() {
        if (detail::is_admin_target(req_.target())) return send(detail::handle_admin(state_, req_));
        state_.served().stats().requests.fetch_add(1, std::memory_order_relaxed);
        detail::fault_action action = state_.take_fault();
        if (action.delay.count() <= 0) return apply(action);
        // A timer, not a sleep: a delayed answer must not hold up the thread.
        delay_.expires_after(action.delay);
        delay_.async_wait(beast::bind_front_handler(&http_session::on_delay, self(), action));
    }

    void on_delay(detail::fault_action action, error_code ec) {
        if (!ec) apply(action);
    }

    void apply(const detail::fault_action& action) {
        if (action.reset) {
            if (action.after) (void)call_vendor();  // it ran (a job may have started); its answer is lost
            state_.record(std::move(req_));
            return derived().reset_connection();
        }
        if (action.status) {
            state_.record(std::move(req_));
            auto res = json_response(*action.status, json::object{{"fault", "injected"}});
            if (!action.retry_after.empty()) res.set(http::field::retry_after, action.retry_after);
            return send(std::move(res));
        }
        reply rep = call_vendor();
        state_.record(std::move(req_));
        if (rep.streamed_bytes) return send_streamed(std::move(rep.head), *rep.streamed_bytes);
        send(std::move(rep.head));
    }

    reply call_vendor() {
        try {
            return state_.served().handle(req_);
        } catch (const std::exception& e) {
            return {json_response(500, json::object{{"fault", "vendor exception"}, {"what", e.what()}}), {}};
        }
    }

    void answer_and_close(response res) {
        keep_alive_ = false;
        head_ = false;
        version_ = 11;
        send(std::move(res));
    }

    void send(response res) {
        res.version(version_);
        res.keep_alive(keep_alive_);
        if (head_) return send_head(std::move(res), std::nullopt);
        if (bodiless(res)) res.body().clear();
        res.prepare_payload();
        res_ = std::move(res);
        beast::get_lowest_layer(stream()).expires_after(io_timeout);
        http::async_write(stream(), res_, beast::bind_front_handler(&http_session::on_write, self(), res_.need_eof()));
    }

    // HEAD: the GET answer's headers (its Content-Length included), no body.
    void send_head(response res, std::optional<std::uint64_t> streamed) {
        if (streamed)
            res.content_length(*streamed);
        else if (!bodiless(res) && !res.has_content_length() && !res.chunked())
            res.content_length(res.body().size());
        head_res_ = http::response<http::empty_body>{std::move(res.base())};
        beast::get_lowest_layer(stream()).expires_after(io_timeout);
        http::async_write(stream(), head_res_,
                          beast::bind_front_handler(&http_session::on_write, self(), head_res_.need_eof()));
    }

    // A large download: the head, then 64 KiB slices of the pattern, so that
    // memory stays flat whatever the size.
    void send_streamed(response head, std::uint64_t size) {
        head.version(version_);
        head.keep_alive(keep_alive_);
        if (head_) return send_head(std::move(head), size);
        stream_res_.emplace(std::move(head.base()));
        stream_res_->content_length(size);
        stream_res_->body().data = nullptr;
        stream_res_->body().more = true;
        stream_offset_ = 0;
        stream_size_ = size;
        serializer_.emplace(*stream_res_);
        beast::get_lowest_layer(stream()).expires_after(io_timeout);
        http::async_write_header(stream(), *serializer_,
                                 beast::bind_front_handler(&http_session::on_stream_write, self()));
    }

    void on_stream_write(error_code ec, std::size_t) {
        if (ec == http::error::need_buffer) ec = {};  // the slice went out; give it the next
        if (ec) return;
        if (serializer_->is_done()) return on_write(stream_res_->need_eof(), {}, 0);
        auto& body = stream_res_->body();
        std::uint64_t left = stream_size_ - stream_offset_;
        if (left == 0) {
            body.data = nullptr;
            body.size = 0;
            body.more = false;
        } else {
            auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, left));
            // buffer_body wants a void*, but the serializer only reads through it.
            body.data = const_cast<std::uint8_t*>(pattern_at(stream_offset_));
            body.size = n;
            body.more = true;
            stream_offset_ += n;
        }
        beast::get_lowest_layer(stream()).expires_after(io_timeout);
        http::async_write(stream(), *serializer_, beast::bind_front_handler(&http_session::on_stream_write, self()));
    }

    void on_write(bool close, error_code ec, std::size_t) {
        if (ec) return;
        if (close) return derived().do_eof();
        do_read();
    }

    detail::server_state& state_;
    asio::steady_timer delay_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    request req_;
    bool keep_alive_ = true;
    bool head_ = false;
    unsigned version_ = 11;
    response res_;
    http::response<http::empty_body> head_res_;
    http::response<http::empty_body> continue_;
    std::optional<http::response<http::buffer_body>> stream_res_;
    std::optional<http::response_serializer<http::buffer_body>> serializer_;
    std::uint64_t stream_offset_ = 0;
    std::uint64_t stream_size_ = 0;
};

// An abrupt close: SO_LINGER 0 makes close() send RST instead of FIN.
void reset_socket(tcp::socket& socket) {
    error_code ec;
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
}

class plain_session : public http_session<plain_session>, public std::enable_shared_from_this<plain_session> {
public:
    plain_session(tcp::socket&& socket, detail::server_state& state)
        : http_session(state, socket.get_executor()), stream_(std::move(socket)) {}

    void run() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&plain_session::do_read, shared_from_this()));
    }
    beast::tcp_stream& stream() { return stream_; }
    void do_eof() {
        error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    void reset_connection() { reset_socket(stream_.socket()); }

private:
    beast::tcp_stream stream_;
};

class tls_session : public http_session<tls_session>, public std::enable_shared_from_this<tls_session> {
public:
    tls_session(tcp::socket&& socket, ssl::context& ctx, detail::server_state& state)
        : http_session(state, socket.get_executor()), stream_(std::move(socket), ctx) {}

    void run() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&tls_session::on_run, shared_from_this()));
    }
    beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
    void do_eof() {
        beast::get_lowest_layer(stream_).expires_after(io_timeout);
        stream_.async_shutdown(beast::bind_front_handler(&tls_session::on_shutdown, shared_from_this()));
    }
    void reset_connection() { reset_socket(beast::get_lowest_layer(stream_).socket()); }

private:
    void on_run() {
        beast::get_lowest_layer(stream_).expires_after(io_timeout);
        stream_.async_handshake(ssl::stream_base::server,
                                beast::bind_front_handler(&tls_session::on_handshake, shared_from_this()));
    }
    void on_handshake(error_code ec) {
        if (!ec) do_read();
    }
    void on_shutdown(error_code) {}  // closing either way; the socket goes with the session

    beast::ssl_stream<beast::tcp_stream> stream_;
};

std::optional<ssl::context> make_tls(const server_options& opts) {
    if (opts.tls_cert_file.has_value() != opts.tls_key_file.has_value())
        throw std::invalid_argument("TLS needs both a certificate file and a key file");
    if (!opts.tls_cert_file) return std::nullopt;
    std::optional<ssl::context> ctx{std::in_place, ssl::context::tls_server};
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    ctx->use_certificate_chain_file(*opts.tls_cert_file);
    ctx->use_private_key_file(*opts.tls_key_file, ssl::context::pem);
    return ctx;
}

}  // namespace

struct server::impl {
    impl(vendor& v, clock& c, const server_options& opts)
        : ioc_(std::make_unique<asio::io_context>(std::max(opts.threads, 1))),
          tls_(make_tls(opts)),
          state_(v, c, tls_.has_value()),
          acceptor_(std::in_place, asio::make_strand(*ioc_)) {
        tcp::endpoint endpoint{asio::ip::make_address(opts.address), opts.port};
        acceptor_->open(endpoint.protocol());
        acceptor_->set_option(asio::socket_base::reuse_address(true));
        acceptor_->bind(endpoint);
        acceptor_->listen(asio::socket_base::max_listen_connections);
        port_ = acceptor_->local_endpoint().port();
        do_accept();
        for (int i = 0; i < std::max(opts.threads, 1); ++i) threads_.emplace_back([this] { ioc_->run(); });
    }

    ~impl() {
        ioc_->stop();
        for (auto& t : threads_) t.join();
        acceptor_.reset();  // before the io_context it belongs to
        ioc_.reset();       // destroys the connections still open, before state_ they refer to
    }

    void do_accept() {
        acceptor_->async_accept(asio::make_strand(*ioc_), beast::bind_front_handler(&impl::on_accept, this));
    }

    void on_accept(error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) start_session(std::move(socket));
        do_accept();
    }

    void start_session(tcp::socket socket) {
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_)
            std::make_shared<tls_session>(std::move(socket), *tls_, state_)->run();
        else
            std::make_shared<plain_session>(std::move(socket), state_)->run();
    }

    std::unique_ptr<asio::io_context> ioc_;
    std::optional<ssl::context> tls_;
    detail::server_state state_;
    std::optional<tcp::acceptor> acceptor_;
    std::vector<std::thread> threads_;
    std::uint16_t port_ = 0;
};

server::server(vendor& v, clock& c, const server_options& opts) : impl_(std::make_unique<impl>(v, c, opts)) {}

server::~server() = default;

std::uint16_t server::port() const { return impl_->port_; }

bool server::tls() const { return impl_->tls_.has_value(); }

}  // namespace sim
