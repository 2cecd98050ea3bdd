#include "uvws/ws/extensions.h"

#include <stdexcept>

#include "uvws/ws/http_request.h"  // is_token (RFC 7230 3.2.6)

namespace uvws::ws {
namespace {

// RFC 7230 3.2.6 tchar: visible ASCII except the delimiters "(),/:;<=>?@[\]{}.
bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 7230 3.2.6 qdtext: HTAB, SP, and visible characters except '"' and '\' (plus obs-text,
// which can never survive the token check after unquoting, so it needs no special case).
bool is_qdtext(unsigned char c) noexcept {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}

// A cursor over the header value. Every method either consumes what it recognises or nothing.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool at_end() const { return pos_ == s_.size(); }

  // RFC 7230 3.2.3 OWS = *( SP / HTAB ).
  void skip_ows() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }

  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }

  // The longest run of tchars here (possibly empty).
  std::string_view token() {
    const std::size_t start = pos_;
    while (pos_ < s_.size() && is_tchar(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }

  // A quoted-string starting at the current '"', unescaped; nullopt when it is unterminated
  // or holds a character that qdtext and quoted-pair do not allow.
  std::optional<std::string> quoted_string() {
    ++pos_;  // the opening '"'
    std::string value;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return value;
      if (c == '\\') {
        // RFC 7230 3.2.6 quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
        if (pos_ == s_.size()) return std::nullopt;
        const auto escaped = static_cast<unsigned char>(s_[pos_++]);
        if (escaped != '\t' && escaped < 0x20) return std::nullopt;
        if (escaped == 0x7F) return std::nullopt;
        value.push_back(static_cast<char>(escaped));
      } else if (is_qdtext(static_cast<unsigned char>(c))) {
        value.push_back(c);
      } else {
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

// extension-param = token [ "=" ( token / quoted-string ) ], with OWS around "=".
std::optional<ExtensionParam> parse_param(Cursor& c) {
  c.skip_ows();
  ExtensionParam param;
  param.name = c.token();
  if (param.name.empty()) return std::nullopt;
  c.skip_ows();
  if (!c.eat('=')) return param;
  c.skip_ows();
  if (c.peek('"')) {
    auto value = c.quoted_string();
    // RFC 6455 9.1: the unescaped value must conform to the token ABNF.
    if (!value || !is_token(*value)) return std::nullopt;
    param.value = std::move(*value);
  } else {
    const std::string_view value = c.token();
    if (value.empty()) return std::nullopt;
    param.value = std::string(value);
  }
  c.skip_ows();
  return param;
}

void append_extension(const ExtensionOffer& extension, std::string& out) {
  if (!is_token(extension.name)) {
    throw std::invalid_argument("uvws: extension name is not a token");
  }
  out += extension.name;
  for (const ExtensionParam& param : extension.params) {
    if (!is_token(param.name) || (param.value && !is_token(*param.value))) {
      throw std::invalid_argument("uvws: extension parameter is not a token");
    }
    out += "; ";
    out += param.name;
    if (param.value) {
      out += '=';
      out += *param.value;
    }
  }
}

}  // namespace

std::optional<std::vector<ExtensionOffer>> parse_extensions(std::string_view header_value) {
  std::vector<ExtensionOffer> result;
  Cursor c(header_value);
  for (;;) {
    c.skip_ows();
    if (c.at_end()) break;
    if (c.eat(',')) continue;  // an empty list element (RFC 7230 7)
    ExtensionOffer extension;
    extension.name = c.token();
    if (extension.name.empty()) return std::nullopt;
    c.skip_ows();
    while (c.eat(';')) {
      auto param = parse_param(c);
      if (!param) return std::nullopt;
      extension.params.push_back(std::move(*param));
    }
    result.push_back(std::move(extension));
    if (c.at_end()) break;
    if (!c.eat(',')) return std::nullopt;
  }
  // extension-list = 1#extension: at least one.
  if (result.empty()) return std::nullopt;
  return result;
}

std::string format_extension(const ExtensionOffer& extension) {
  std::string out;
  append_extension(extension, out);
  return out;
}

std::string format_extensions(std::span<const ExtensionOffer> extensions) {
  std::string out;
  for (const ExtensionOffer& extension : extensions) {
    if (!out.empty()) out += ", ";
    append_extension(extension, out);
  }
  return out;
}

}  // namespace uvws::ws
