#include "uvws/ws/http_request.h"

#include <llhttp.h>

#include <algorithm>
#include <array>
#include <limits>

#include "uvws/ws/error.h"

namespace uvws::ws {
namespace {

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// RFC 7230 3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA. A table, since every received field name is checked.
constexpr std::array<bool, 256> tchar_table = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool is_tchar(char c) noexcept {
  return tchar_table[static_cast<unsigned char>(c)];
}

std::size_t count_lines(std::string_view s) noexcept {
  std::size_t n = 0;
  for (std::size_t at = s.find('\n'); at != std::string_view::npos; at = s.find('\n', at + 1)) ++n;
  return n;
}

bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

}  // namespace

std::size_t find_header_end(std::span<const std::uint8_t> bytes, std::size_t from) noexcept {
  constexpr std::string_view terminator = "\r\n\r\n";
  if (from > bytes.size()) from = bytes.size();
  // A terminator ending after `from` may start up to three bytes before it.
  const std::size_t start = from > 3 ? from - 3 : 0;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::size_t at = text.find(terminator, start);
  return at == std::string_view::npos ? at : at + terminator.size();
}

bool may_begin_request(std::span<const std::uint8_t> head) noexcept {
  // The longest registered method (IANA's HTTP Method Registry) has 17 characters; a few empty
  // lines before the request line are tolerated (RFC 9112 2.2 asks servers to ignore at least
  // one).
  constexpr std::size_t max_method = 24;
  constexpr std::size_t max_leading_line_breaks = 4;
  std::size_t at = 0;
  while (at < head.size() && at < max_leading_line_breaks &&
         (head[at] == '\r' || head[at] == '\n')) {
    ++at;
  }
  const std::size_t method_start = at;
  for (; at < head.size(); ++at) {
    const char c = static_cast<char>(head[at]);
    if (c == ' ') return at > method_start;
    if (!is_tchar(c) || at - method_start >= max_method) return false;
  }
  return true;  // all tokens so far: the request line may still come
}

bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

std::optional<std::string_view> HTTPMessage::header(std::string_view name) const noexcept {
  for (const Field& f : fields_) {
    if (ascii_iequals(view(f.name), name)) return view(f.value);
  }
  return std::nullopt;
}

std::size_t HTTPMessage::header_occurrences(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (const Field& f : fields_) n += ascii_iequals(view(f.name), name) ? 1U : 0U;
  return n;
}

std::vector<std::string_view> HTTPMessage::header_values(std::string_view name) const {
  std::vector<std::string_view> out;
  for_each_header_value(name, [&](std::string_view v) { out.push_back(v); });
  return out;
}

std::vector<std::string_view> HTTPMessage::header_tokens(std::string_view name) const {
  std::vector<std::string_view> out;
  for_each_header_value(name, [&](std::string_view v) {
    for_each_list_element(v, [&](std::string_view t) { out.push_back(t); });
  });
  return out;
}

bool HTTPMessage::header_has_token(std::string_view name, std::string_view token) const noexcept {
  bool found = false;
  for_each_header_value(name, [&](std::string_view v) {
    for_each_list_element(v, [&](std::string_view t) { found = found || ascii_iequals(t, token); });
  });
  return found;
}

HTTPMessage::Slice HTTPMessage::append_text(std::string_view s) {
  const Slice slice{static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(s.size())};
  text_.append(s);
  return slice;
}

void HTTPMessage::clear() noexcept {
  text_.clear();
  fields_.clear();
  method_ = target_ = reason_ = Slice{};
  status_ = 0;
  major_ = minor_ = 1;
}

// Runs llhttp over the copied block. Every span callback records an offset/length into
// text_; since the whole block is given to one llhttp_execute call, each element arrives as
// one contiguous span, and a second, non-contiguous span for the same element can only be a
// folded line (obs-fold), which RFC 7230 3.2.4 lets a server reject with 400.
class HTTPMessage::Parser {
 public:
  Parser(HTTPMessage& msg, const HTTPLimits& limits, bool request)
      : msg_(msg), limits_(limits), request_(request) {
    llhttp_init(&parser_, request ? HTTP_REQUEST : HTTP_RESPONSE, &settings());
    parser_.data = this;
  }

  std::optional<Error> run() {
    const char* begin = msg_.text_.data();
    const char* end = begin + msg_.text_.size();
    const llhttp_errno_t rc = llhttp_execute(&parser_, begin, msg_.text_.size());
    // Versions: uvws speaks HTTP/1.1 (and serves plain HTTP/1.0 requests). Every other version
    // is answered 505 (RFC 9110 15.6.6), the same for all of them, whether llhttp knows it
    // (HTTP/2.0: the preface "PRI * HTTP/2.0" is left incomplete) or refuses it (HTTP/1.2).
    // The version is judged only when llhttp read it whole: it refused it, or it parsed on.
    if (rc == HPE_INVALID_VERSION || rc == HPE_PAUSED_H2_UPGRADE) return Error::bad_http_version;
    const bool upgraded = rc == HPE_PAUSED_UPGRADE && llhttp_get_error_pos(&parser_) == end;
    const unsigned major = parser_.http_major;
    const unsigned minor = parser_.http_minor;
    if ((rc == HPE_OK || upgraded) && (major != 0 || minor != 0) && !(major == 1 && minor <= 1)) {
      return Error::bad_http_version;
    }
    if (error_) return error_;
    // An Upgrade request or a 101 response pauses llhttp right after the head: that is
    // success, provided nothing follows the head in the block.
    if ((rc != HPE_OK && !upgraded) || !complete_) return Error::bad_http;
    msg_.major_ = parser_.http_major;
    msg_.minor_ = parser_.http_minor;
    msg_.status_ = parser_.status_code;
    for (Field& f : msg_.fields_) {
      if (!is_token(msg_.view(f.name))) return Error::bad_http;  // e.g. "Host :" (RFC 7230 3.2.4)
      // llhttp takes a line break inside the whitespace before a value ("X:\r\n\tv") as part
      // of that whitespace; a line break between a name and a non-empty value is an obs-fold
      // too. (An empty value's zero-length span may sit after the line break: not a fold.)
      const std::uint32_t name_end = f.name.offset + f.name.length;
      if (f.value.length > 0 && f.value.offset > name_end &&
          msg_.view({name_end, f.value.offset - name_end}).find('\n') != std::string_view::npos) {
        return Error::bad_http;
      }
      const std::string_view raw = msg_.view(f.value);
      const std::string_view value = trim_ows(raw);
      f.value.offset += static_cast<std::uint32_t>(value.data() - raw.data());
      f.value.length = static_cast<std::uint32_t>(value.size());
    }
    return std::nullopt;
  }

 private:
  static Parser& self(llhttp_t* p) { return *static_cast<Parser*>(p->data); }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t st;
      llhttp_settings_init(&st);
      st.on_message_begin = on_message_begin;
      st.on_method = on_method;
      st.on_url = on_url;
      st.on_status = on_status;
      st.on_header_field = on_header_field;
      st.on_header_value = on_header_value;
      st.on_headers_complete = on_headers_complete;
      st.on_message_complete = on_message_complete;
      return st;
    }();
    return s;
  }

  int fail(Error e) {
    error_ = e;
    return -1;
  }

  // Records [at, at + n) in `s`; `seen` says whether `s` already holds a span. False when the
  // new span does not continue the previous one.
  bool append(Slice& s, bool& seen, const char* at, std::size_t n) {
    const auto offset = static_cast<std::uint32_t>(at - msg_.text_.data());
    if (!seen) {
      s = {offset, static_cast<std::uint32_t>(n)};
      seen = true;
      return true;
    }
    if (offset != s.offset + s.length) return false;
    s.length += static_cast<std::uint32_t>(n);
    return true;
  }

  int append_or_fail(Slice& s, bool& seen, const char* at, std::size_t n) {
    return append(s, seen, at, n) ? 0 : fail(Error::bad_http);
  }

  static int on_message_begin(llhttp_t* p) {
    Parser& me = self(p);
    // One head per block: a second message would be a pipelined request we must not accept.
    return ++me.messages_ > 1 ? me.fail(Error::bad_http) : 0;
  }
  static int on_method(llhttp_t* p, const char* at, std::size_t n) {
    Parser& me = self(p);
    return me.append_or_fail(me.msg_.method_, me.method_seen_, at, n);
  }
  static int on_url(llhttp_t* p, const char* at, std::size_t n) {
    Parser& me = self(p);
    return me.append_or_fail(me.msg_.target_, me.target_seen_, at, n);
  }
  static int on_status(llhttp_t* p, const char* at, std::size_t n) {
    Parser& me = self(p);
    return me.append_or_fail(me.msg_.reason_, me.reason_seen_, at, n);
  }
  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    Parser& me = self(p);
    if (!me.in_name_) {
      if (me.msg_.fields_.size() >= me.limits_.max_headers)
        return me.fail(Error::headers_too_large);
      me.msg_.fields_.emplace_back();
      me.in_name_ = true;
      me.name_seen_ = false;
      me.value_seen_ = false;
    }
    return me.append_or_fail(me.msg_.fields_.back().name, me.name_seen_, at, n);
  }
  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    Parser& me = self(p);
    me.in_name_ = false;
    return me.append_or_fail(me.msg_.fields_.back().value, me.value_seen_, at, n);
  }
  static int on_headers_complete(llhttp_t* p) {
    Parser& me = self(p);
    if (!me.request_) return 1;  // a response's body, if any, is not part of the head
    // RFC 6455 4.1: the handshake request has no body; refusing one also keeps body bytes from
    // being taken for WebSocket frames.
    const bool body = (p->flags & (F_CHUNKED | F_TRANSFER_ENCODING)) != 0 ||
                      ((p->flags & F_CONTENT_LENGTH) != 0 && p->content_length > 0);
    return body ? me.fail(Error::bad_http) : 0;
  }
  static int on_message_complete(llhttp_t* p) {
    self(p).complete_ = true;
    return 0;
  }

  HTTPMessage& msg_;
  const HTTPLimits& limits_;
  const bool request_;
  llhttp_t parser_{};
  std::optional<Error> error_;
  int messages_ = 0;
  bool complete_ = false;
  bool method_seen_ = false;
  bool target_seen_ = false;
  bool reason_seen_ = false;
  bool in_name_ = false;
  bool name_seen_ = false;
  bool value_seen_ = false;
};

std::optional<Error> HTTPMessage::parse_message(std::span<const std::uint8_t> block,
                                                const HTTPLimits& limits, bool request) {
  clear();
  if (block.size() > limits.max_header_bytes ||
      block.size() > std::numeric_limits<std::uint32_t>::max()) {
    return Error::headers_too_large;
  }
  text_.assign(reinterpret_cast<const char*>(block.data()), block.size());
  // Each field takes at least one line, so this bounds the vector to a single allocation.
  fields_.reserve(std::min(count_lines(text_), limits.max_headers));
  const std::optional<Error> error = Parser(*this, limits, request).run();
  if (error) clear();
  return error;
}

std::optional<Error> HTTPRequest::parse(std::span<const std::uint8_t> header_block,
                                        const HTTPLimits& limits) {
  return parse_message(header_block, limits, true);
}

std::string_view HTTPRequest::path() const noexcept {
  const std::string_view t = target();
  return t.substr(0, t.find('?'));
}

std::string_view HTTPRequest::query() const noexcept {
  const std::string_view t = target();
  const std::size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

}  // namespace uvws::ws
