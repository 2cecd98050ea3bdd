// The HTTP/1.1 side of the opening handshake (RFC 6455 4, RFC 7230): finding the end of a
// header block, and parsing it into an HTTPRequest with llhttp.
//
// HTTPMessage holds what requests and responses share: one copy of the header block and the
// header fields as offset/length pairs into it, with case-insensitive lookup and token-list
// matching. HTTPRequest adds the request line; HTTPResponse (http_response.h) the status line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/export.h"
#include "uvws/ws/error.h"

namespace uvws::ws {

// Limits on one header block, on by default (RFC 6455 4.2.1 leaves them to the server; RFC 6585
// 5 defines 431 for breaking them). A block over either limit fails with
// Error::headers_too_large.
struct UVWS_EXPORT HTTPLimits {
  std::size_t max_header_bytes = 8192;  // start line, fields and the final blank line
  std::size_t max_headers = 100;        // header fields, a repeated name counted each time
};

// The index one past the "\r\n\r\n" that ends the header block at the start of `bytes`, or
// std::string_view::npos when there is none yet. To resume after more bytes arrived, pass as
// `from` the size `bytes` had at the previous call that returned npos: the search then covers
// a terminator split across the two calls without rescanning the rest.
UVWS_EXPORT std::size_t find_header_end(std::span<const std::uint8_t> bytes,
                                        std::size_t from = 0) noexcept;

// False when `head`, the first bytes a client sent, cannot begin an HTTP/1.1 request: the
// request line starts with a method token followed by a space (RFC 9112 3), after at most
// a few empty lines (RFC 9112 2.2). A TLS ClientHello, an HTTP/2 frame or other binary fails at
// its first byte, so the server refuses it at once instead of waiting for a header block that
// will never come. `head` may be any prefix (true while it could still become a request).
UVWS_EXPORT bool may_begin_request(std::span<const std::uint8_t> head) noexcept;

// ASCII case-insensitive equality, as RFC 7230 3.2 prescribes for field names and most tokens.
UVWS_EXPORT bool ascii_iequals(std::string_view a, std::string_view b) noexcept;
// `s` without leading and trailing optional whitespace (RFC 7230 3.2.3: SP and HTAB).
UVWS_EXPORT std::string_view trim_ows(std::string_view s) noexcept;
// True when `s` is a non-empty RFC 7230 3.2.6 token (the grammar of field names).
UVWS_EXPORT bool is_token(std::string_view s) noexcept;

// Calls visit(element) for each non-empty element of a comma-separated list (RFC 7230 7),
// OWS trimmed. For lists of plain tokens (Connection, Upgrade, Sec-WebSocket-Protocol): a comma
// inside a quoted string is not special-cased.
template <class Visitor>
void for_each_list_element(std::string_view list, Visitor&& visit) {
  for (;;) {
    const std::size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// One header field; both views point into the message that produced it.
struct UVWS_EXPORT HTTPHeader {
  // The field name as received (compare it case-insensitively).
  std::string_view name;
  std::string_view value;  // OWS trimmed
};

// The header storage and lookup shared by HTTPRequest and HTTPResponse (not used alone).
// Owned by value by whoever parsed or built it; copyable and movable (fields are offsets, not
// pointers). Every string_view it returns stays valid until the message is parsed again,
// modified, or destroyed. Not thread-safe: one thread at a time.
class UVWS_EXPORT HTTPMessage {
 public:
  // Iterates over a message's header fields, yielding HTTPHeader values.
  class HeaderIterator {
   public:
    // Dereferencing yields a value, so for the pre-C++20 categories this is an input iterator.
    using iterator_category = std::input_iterator_tag;
    // The C++20 category: a forward iterator.
    using iterator_concept = std::forward_iterator_tag;
    // The element: one header field.
    using value_type = HTTPHeader;
    // Iterator difference.
    using difference_type = std::ptrdiff_t;
    // No pointer type: elements are values.
    using pointer = void;
    // Dereferencing yields a value.
    using reference = HTTPHeader;

    HeaderIterator() = default;
    // The i-th field of `msg`.
    HeaderIterator(const HTTPMessage* msg, std::size_t i) : msg_(msg), i_(i) {}
    // The current field.
    HTTPHeader operator*() const { return msg_->header_at(i_); }
    // The next field.
    HeaderIterator& operator++() {
      ++i_;
      return *this;
    }
    // The next field (post-increment).
    HeaderIterator operator++(int) {
      HeaderIterator old = *this;
      ++i_;
      return old;
    }
    // Same message, same position.
    friend bool operator==(const HeaderIterator& a, const HeaderIterator& b) {
      return a.i_ == b.i_ && a.msg_ == b.msg_;
    }

   private:
    const HTTPMessage* msg_ = nullptr;
    std::size_t i_ = 0;
  };

  // The range headers() returns, for range-for.
  struct HeaderRange {
    // The first field.
    HeaderIterator first;
    // Past the last field.
    HeaderIterator last;
    // The first field.
    HeaderIterator begin() const { return first; }
    // Past the last field.
    HeaderIterator end() const { return last; }
  };

  // Every header field in the order received (or added): `for (auto [name, value] : m.headers())`.
  HeaderRange headers() const { return {{this, 0}, {this, fields_.size()}}; }
  // The number of header fields.
  std::size_t header_count() const noexcept { return fields_.size(); }
  // The i-th field. Precondition: i < header_count().
  HTTPHeader header_at(std::size_t i) const noexcept {
    return {view(fields_[i].name), view(fields_[i].value)};
  }

  // The value of the first field named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  // How many fields are named `name` (e.g. to refuse a repeated Sec-WebSocket-Key).
  std::size_t header_occurrences(std::string_view name) const noexcept;
  // Calls visit(value) for every field named `name`, in order.
  template <class Visitor>
  void for_each_header_value(std::string_view name, Visitor&& visit) const {
    for (const Field& f : fields_) {
      if (ascii_iequals(view(f.name), name)) visit(view(f.value));
    }
  }
  // The values of every field named `name`, in order.
  std::vector<std::string_view> header_values(std::string_view name) const;
  // The list elements (see for_each_list_element) of every field named `name`, in order, so
  // "A: x, y" followed by "A: z" gives {x, y, z} (RFC 7230 3.2.2).
  std::vector<std::string_view> header_tokens(std::string_view name) const;
  // True when some field named `name` lists `token` (case-insensitive), e.g.
  // header_has_token("Connection", "upgrade") on "Connection: keep-alive, Upgrade".
  bool header_has_token(std::string_view name, std::string_view token) const noexcept;

  // The HTTP major version (1).
  int http_major() const noexcept { return major_; }
  // The HTTP minor version (1 for HTTP/1.1).
  int http_minor() const noexcept { return minor_; }

 protected:
  HTTPMessage() = default;
  ~HTTPMessage() = default;
  // Copies (the views of the copy point into the copy).
  HTTPMessage(const HTTPMessage&) = default;
  // Moves.
  HTTPMessage(HTTPMessage&&) noexcept = default;
  // Copies.
  HTTPMessage& operator=(const HTTPMessage&) = default;
  // Moves.
  HTTPMessage& operator=(HTTPMessage&&) noexcept = default;

  // A string stored in text_: offset and length.
  struct Slice {
    // Where it starts in text_.
    std::uint32_t offset = 0;
    // Its length.
    std::uint32_t length = 0;
  };
  // One header field: where its name and value are in text_.
  struct Field {
    // The field name.
    Slice name;
    // The field value (OWS trimmed).
    Slice value;
  };

  // The string a Slice stands for.
  std::string_view view(Slice s) const noexcept { return {text_.data() + s.offset, s.length}; }
  // Parses one whole header block (see HTTPRequest::parse); on failure the message is empty.
  std::optional<Error> parse_message(std::span<const std::uint8_t> block, const HTTPLimits& limits,
                                     bool request);
  // Copies `s` into the text and returns where it went (for builders).
  Slice append_text(std::string_view s);
  // Empties the message.
  void clear() noexcept;

  std::string text_;  // the header block, or for a built message its strings back to back
  // The header fields, in order.
  std::vector<Field> fields_;
  Slice method_;  // requests
  Slice target_;  // requests
  Slice reason_;  // responses
  // The status code (responses).
  int status_ = 0;
  // The HTTP major version.
  std::uint8_t major_ = 1;
  // The HTTP minor version.
  std::uint8_t minor_ = 1;

 private:
  class Parser;  // the llhttp callbacks, in http_request.cpp
};

// An HTTP request head, parsed from the bytes a client sent (the server side of RFC 6455 4.2.1).
// Owned by value by the protocol that parsed it; one thread at a time. parse() returns an
// error and leaves the request empty for anything malformed or over the limits; the views it
// hands out live as long as the request (see HTTPMessage).
class UVWS_EXPORT HTTPRequest : public HTTPMessage {
 public:
  // Parses `header_block`, which must be exactly one request head ending in "\r\n\r\n" (as
  // delimited by find_header_end). The block is copied; the argument need not outlive the call.
  // Returns std::nullopt on success, else the error: Error::headers_too_large when the block
  // exceeds max_header_bytes or holds more than max_headers fields; Error::bad_http when llhttp
  // rejects it, a field name is not a token, a field is folded (obs-fold, RFC 7230 3.2.4), it
  // announces a body (Content-Length > 0 or Transfer-Encoding: a handshake has none, RFC 6455 4.1),
  // or bytes follow the head.
  std::optional<Error> parse(std::span<const std::uint8_t> header_block, const HTTPLimits& limits);
  std::optional<Error> parse(std::string_view header_block, const HTTPLimits& limits) {
    return parse({reinterpret_cast<const std::uint8_t*>(header_block.data()), header_block.size()},
                 limits);
  }

  // The request method, e.g. "GET".
  std::string_view method() const noexcept { return view(method_); }
  // The request-target as sent (RFC 7230 5.3), e.g. "/chat?room=1".
  std::string_view target() const noexcept { return view(target_); }
  // The target before '?'.
  std::string_view path() const noexcept;
  // The target after the first '?', without it; empty when there is none.
  std::string_view query() const noexcept;
};

}  // namespace uvws::ws
