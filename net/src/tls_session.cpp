#include "uvws/net/tls_session.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "tls_error.h"
#include "tls_records.h"

namespace uvws::net {
namespace detail {

// The BIO under every session: reads from the span being fed, appends to the buffer being
// filled, and never buffers (a partial record waits in OpenSSL's own record buffer).
struct SessionBio {
  static TlsSession& of(BIO* b) { return *static_cast<TlsSession*>(BIO_get_data(b)); }

  static int write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    TlsSession& s = of(b);
    if (s.out_ == nullptr) {  // not inside a call that takes output (cannot happen)
      BIO_set_retry_write(b);
      return -1;
    }
    s.out_->append(data, static_cast<std::size_t>(len));
    if (s.records_)
      s.records_->wrote(reinterpret_cast<const std::uint8_t*>(data), static_cast<std::size_t>(len));
    return len;
  }
  static int read(BIO* b, char* data, int len) {
    BIO_clear_retry_flags(b);
    TlsSession& s = of(b);
    if (s.in_len_ == 0) {
      BIO_set_retry_read(b);
      return -1;
    }
    const std::size_t n = std::min(s.in_len_, static_cast<std::size_t>(len));
    std::memcpy(data, s.in_, n);
    if (s.records_) s.records_->consumed(s.in_, n);
    s.in_ += n;
    s.in_len_ -= n;
    return static_cast<int>(n);
  }
  static long ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
      case BIO_CTRL_FLUSH:
        return 1;
      case BIO_CTRL_PENDING:
        return static_cast<long>(of(b).in_len_);
      default:
        return 0;
    }
  }
  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }

  // The key log callback of server contexts: a server session's traffic secrets go to its
  // RecordLayer (created by the first one), which takes over once the handshake is done.
  static void keylog(const SSL* ssl, const char* line) {
    BIO* b = SSL_get_rbio(ssl);
    // An SSL made on the context by the application (native()) has a BIO of its own.
    if (b == nullptr || BIO_method_type(b) != type() || !SSL_is_server(ssl)) return;
    TlsSession& s = of(b);
    // TLS 1.2's only line: no record layer is made for a session that keeps OpenSSL's.
    if (s.established_ || std::strncmp(line, "CLIENT_RANDOM ", 14) == 0) return;
    if (!s.records_) s.records_.reset(new (std::nothrow) RecordLayer);
    if (s.records_) s.records_->logged(line);
  }

  static int type() {
    static const int t = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
    return t;
  }

  static const BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
      BIO_METHOD* mm = BIO_meth_new(type(), "uvws session");
      if (mm == nullptr) throw std::bad_alloc();
      BIO_meth_set_write(mm, &SessionBio::write);
      BIO_meth_set_read(mm, &SessionBio::read);
      BIO_meth_set_ctrl(mm, &SessionBio::ctrl);
      BIO_meth_set_create(mm, &SessionBio::create);
      return mm;
    }();
    return m;
  }
};

void log_traffic_secret(const SSL* ssl, const char* line) {
  SessionBio::keylog(ssl, line);
}

}  // namespace detail

namespace {

// Sets the BIO's view for the duration of one session call.
class Scope {
 public:
  Scope(const std::uint8_t*& in, std::size_t& in_len, core::Buffer*& out, core::Buffer& buffer,
        std::span<const std::uint8_t> ciphertext = {})
      : in_(in), in_len_(in_len), out_(out) {
    in_ = ciphertext.data();
    in_len_ = ciphertext.size();
    out_ = &buffer;
  }
  ~Scope() {
    in_ = nullptr;
    in_len_ = 0;
    out_ = nullptr;
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  const std::uint8_t*& in_;
  std::size_t& in_len_;
  core::Buffer*& out_;
};

bool is_ip_literal(const std::string& name) {
  unsigned char addr[16];
  return inet_pton(AF_INET, name.c_str(), addr) == 1 ||
         inet_pton(AF_INET6, name.c_str(), addr) == 1;
}

}  // namespace

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context) : context_(std::move(context)) {
  ssl_ = SSL_new(context_->native());
  BIO* bio = ssl_ != nullptr ? BIO_new(detail::SessionBio::method()) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl_);
    ERR_clear_error();
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: the SSL owns it
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

std::unique_ptr<TlsSession> TlsSession::server(std::shared_ptr<const TlsContext> context) {
  std::unique_ptr<TlsSession> s(new TlsSession(std::move(context)));
  SSL_set_accept_state(s->ssl_);
  return s;
}

std::unique_ptr<TlsSession> TlsSession::client(std::shared_ptr<const TlsContext> context,
                                               const std::string& server_name) {
  std::unique_ptr<TlsSession> s(new TlsSession(std::move(context)));
  SSL_set_connect_state(s->ssl_);
  // "[::1]" as a URL writes it: the address inside the brackets.
  std::string name = server_name;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  const bool ip = is_ip_literal(name);
  // SNI carries host names only, never addresses (RFC 6066 3).
  if (!ip && !name.empty()) SSL_set_tlsext_host_name(s->ssl_, name.c_str());
  if (!s->context_->insecure() && !name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(s->ssl_);
    // Host names against DNS SANs, addresses against IP SANs (RFC 6125 6.4, RFC 2818 3.1).
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
    if (ok != 1) {
      ERR_clear_error();
      throw std::invalid_argument("uvws TLS: bad server name \"" + name + "\"");
    }
  }
  return s;
}

std::error_code TlsSession::start(core::Buffer& out) {
  const Scope scope(in_, in_len_, out_, out);
  return finish(SSL_do_handshake(ssl_), out, nullptr);
}

// Classifies the return value of an SSL call: waiting for more input is no error.
std::error_code TlsSession::finish(int rc, core::Buffer& out, bool* closed) {
  if (rc > 0) return {};
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return {};
    case SSL_ERROR_ZERO_RETURN:
      if (closed != nullptr) *closed = true;
      return {};
    default: {
      static_cast<void>(out);  // the alert OpenSSL sent is in `out` already
      return detail::tls_error_from_queue(ssl_);
    }
  }
}

TlsSession::ReadResult TlsSession::read(std::span<const std::uint8_t> ciphertext,
                                        std::span<std::uint8_t> plaintext, core::Buffer& out) {
  ReadResult r;
  const Scope scope(in_, in_len_, out_, out, ciphertext);
  if (!established_) {
    const int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
      r.error = finish(rc, out, &r.closed);
      return r;
    }
    established_ = true;
    take_over();
    if ((r.error = flush_early(out))) return r;
    if (ssl_ == nullptr) return open(in_, in_len_, plaintext, out);  // what follows the Finished
  }
  if (ssl_ == nullptr) return open(ciphertext.data(), ciphertext.size(), plaintext, out);
  // Until OpenSSL wants more input: every complete record of `ciphertext` gets decrypted.
  while (r.plaintext < plaintext.size()) {
    const std::size_t room = std::min<std::size_t>(plaintext.size() - r.plaintext, 1u << 30);
    const int n = SSL_read(ssl_, plaintext.data() + r.plaintext, static_cast<int>(room));
    if (n > 0) {
      r.plaintext += static_cast<std::size_t>(n);
      continue;
    }
    r.error = finish(n, out, &r.closed);
    break;
  }
  return r;
}

std::error_code TlsSession::write(std::span<const std::uint8_t> plaintext, core::Buffer& out) {
  if (plaintext.empty() || shut_) return {};
  if (!established_) {
    if (!early_) early_ = std::make_unique<core::Buffer>();
    early_->append(plaintext);
    return {};
  }
  const Scope scope(in_, in_len_, out_, out);
  return encrypt(plaintext, out);
}

// Right after the handshake: a server session whose RecordLayer fits frees its SSL object and
// runs the records itself (tls_records.h). The session is marked shut down first: SSL_free
// drops a session of a connection not shut down from the server's session cache, and this one
// ended well.
void TlsSession::take_over() noexcept {
  if (!records_) return;
  if (!records_->take_over(ssl_)) {  // not TLS 1.3, a CCM suite, ...: OpenSSL's records go on
    records_.reset();
    ERR_clear_error();
    return;
  }
  SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl_);
  ssl_ = nullptr;
}

TlsSession::ReadResult TlsSession::open(const std::uint8_t* ciphertext, std::size_t n,
                                        std::span<std::uint8_t> plaintext, core::Buffer& out) {
  const detail::RecordLayer::Opened o = records_->open(ciphertext, n, plaintext.data(), out);
  ReadResult r;
  r.plaintext = o.plaintext;
  r.error = o.error;
  r.closed = o.closed;
  return r;
}

// Inside a Scope. The BIO never refuses, so SSL_write takes everything (partial writes are not
// enabled).
std::error_code TlsSession::encrypt(std::span<const std::uint8_t> plaintext, core::Buffer& out) {
  if (ssl_ == nullptr) return records_->seal(plaintext.data(), plaintext.size(), out);
  while (!plaintext.empty()) {
    const std::size_t n = std::min<std::size_t>(plaintext.size(), 1u << 30);
    const int rc = SSL_write(ssl_, plaintext.data(), static_cast<int>(n));
    if (rc <= 0) {
      const std::error_code ec = finish(rc, out, nullptr);
      return ec ? ec : std::error_code{detail::tls_failed, tls_category()};
    }
    plaintext = plaintext.subspan(static_cast<std::size_t>(rc));
  }
  return {};
}

// Inside read()'s Scope, right after the handshake completed.
std::error_code TlsSession::flush_early(core::Buffer& out) {
  if (!early_) return {};
  const std::unique_ptr<core::Buffer> early = std::move(early_);
  return shut_ ? std::error_code{} : encrypt(early->span(), out);
}

void TlsSession::close_notify(core::Buffer& out) {
  if (!established_ || shut_) return;
  shut_ = true;
  if (ssl_ == nullptr) {
    records_->close_notify(out);
    return;
  }
  const Scope scope(in_, in_len_, out_, out);
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace uvws::net
