// Sec-WebSocket-Extensions values (RFC 6455 9.1): parsing into offers and formatting back.
//
// The grammar, with the implied optional whitespace of RFC 7230 3.2.3 around every separator:
//
//   extension-list = 1#extension
//   extension      = extension-token *( ";" extension-param )
//   extension-param = token [ "=" ( token / quoted-string ) ]
//
// A quoted-string value is unescaped, and what remains must be a token again (RFC 6455 9.1),
// so a parsed value is always a token. Empty list elements (", ,") are skipped as RFC 7230 7
// asks of recipients, but at least one extension must be present. Names and values are kept
// as written: comparing them is the negotiating code's business (RFC 7692 compares them
// exactly, its names being lower case).
//
// Several Sec-WebSocket-Extensions header lines form one list (RFC 7230 3.2.2): the HTTP layer
// joins them with ", " before calling parse_extensions().
//
// Pure functions and plain structs; any thread. Syntax errors are reported as nullopt, misuse
// of the formatter (a name or value that is not a token) as std::invalid_argument.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "uvws/core/export.h"

namespace uvws::ws {

// One parameter of an extension offer (RFC 6455 9.1): `name` or `name=value`.
struct UVWS_EXPORT ExtensionParam {
  // The parameter's name (a token).
  std::string name;
  std::optional<std::string> value;  // nullopt for a parameter written without "="

  // Equal names and values.
  bool operator==(const ExtensionParam&) const = default;
};

// One element of the list: an extension name and its parameters, in the order written. The
// same name may appear in several elements (alternative offers, RFC 6455 9.1).
struct UVWS_EXPORT ExtensionOffer {
  // The extension's name (a token), e.g. "permessage-deflate".
  std::string name;
  // Its parameters, in the order written.
  std::vector<ExtensionParam> params;

  // Equal names and parameters, in order.
  bool operator==(const ExtensionOffer&) const = default;
};

// Parses one Sec-WebSocket-Extensions value. nullopt when it does not follow the grammar
// above (including an empty value, a missing name, a bad character, an unterminated or
// non-token quoted-string, or anything after the last element but whitespace). `header_value`
// need only stay valid during the call: the result owns copies.
UVWS_EXPORT std::optional<std::vector<ExtensionOffer>> parse_extensions(
    std::string_view header_value);

// Formats extensions as "name; param; param=value, name2" (the inverse of parse_extensions for
// its results). Throws std::invalid_argument if a name or value is not a token.
UVWS_EXPORT std::string format_extensions(std::span<const ExtensionOffer> extensions);
// Formats one extension as format_extensions() does.
UVWS_EXPORT std::string format_extension(const ExtensionOffer& extension);

}  // namespace uvws::ws
