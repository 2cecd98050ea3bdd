// permessage-deflate negotiation (RFC 7692 5 and 7.1) for both roles, and option checks.
#include <algorithm>
#include <bitset>
#include <stdexcept>

#include "uvws/ws/error.h"
#include "uvws/ws/permessage_deflate.h"

namespace uvws::ws {
namespace {

constexpr int max_bits = 15;

// The RFC 7692 7.1 parameters of one offer or response, as written.
struct Stated {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::optional<int> server_max_window_bits;
  bool client_max_window_bits = false;  // present, with or without a value
  std::optional<int> client_max_window_bits_value;
};

// RFC 7692 7.1.2: "a decimal integer value without leading zeroes between 8 to 15".
std::optional<int> parse_window_bits(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  const std::string& v = *value;
  if (v.size() == 1 && (v[0] == '8' || v[0] == '9')) return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return std::nullopt;
}

// The parameters of a permessage-deflate element, or nullopt if one is unknown, repeated or
// has an invalid value (RFC 7692 7.1). In a response client_max_window_bits needs a value.
std::optional<Stated> read_params(const ExtensionOffer& ext, bool response) {
  Stated st;
  std::bitset<4> seen;
  for (const ExtensionParam& p : ext.params) {
    std::size_t index;
    if (p.name == "server_no_context_takeover") {
      index = 0;
      if (p.value) return std::nullopt;
      st.server_no_context_takeover = true;
    } else if (p.name == "client_no_context_takeover") {
      index = 1;
      if (p.value) return std::nullopt;
      st.client_no_context_takeover = true;
    } else if (p.name == "server_max_window_bits") {
      index = 2;
      st.server_max_window_bits = parse_window_bits(p.value);
      if (!st.server_max_window_bits) return std::nullopt;
    } else if (p.name == "client_max_window_bits") {
      index = 3;
      st.client_max_window_bits = true;
      if (p.value || response) {
        st.client_max_window_bits_value = parse_window_bits(p.value);
        if (!st.client_max_window_bits_value) return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    if (seen.test(index)) return std::nullopt;
    seen.set(index);
  }
  return st;
}

void add_flag(ExtensionOffer& ext, const char* name) {
  ext.params.push_back({name, {}});
}
void add_bits(ExtensionOffer& ext, const char* name, int bits) {
  ext.params.push_back({name, std::to_string(bits)});
}

std::optional<DeflateParams> fail(std::error_code& ec) {
  ec = make_error_code(Error::unexpected_extension);
  return std::nullopt;
}

}  // namespace

void validate(const DeflateOptions& options) {
  const auto bits_ok = [](int b) { return b >= 8 && b <= max_bits; };
  if (!bits_ok(options.server_max_window_bits)) {
    throw std::invalid_argument("uvws: DeflateOptions::server_max_window_bits not in 8..15");
  }
  if (!bits_ok(options.client_max_window_bits)) {
    throw std::invalid_argument("uvws: DeflateOptions::client_max_window_bits not in 8..15");
  }
  if (options.compression_level < 0 || options.compression_level > 9) {
    throw std::invalid_argument("uvws: DeflateOptions::compression_level not in 0..9");
  }
  if (options.mem_level < 1 || options.mem_level > 9) {
    throw std::invalid_argument("uvws: DeflateOptions::mem_level not in 1..9");
  }
  if (options.compression_window_bits < 9 || options.compression_window_bits > max_bits) {
    throw std::invalid_argument("uvws: DeflateOptions::compression_window_bits not in 9..15");
  }
}

std::optional<DeflateParams> negotiate_server(std::span<const ExtensionOffer> offers,
                                              const DeflateOptions& options,
                                              std::string& response_value) {
  response_value.clear();
  if (!options.enabled) return std::nullopt;
  for (const ExtensionOffer& offer : offers) {
    if (offer.name != permessage_deflate_name) continue;
    const std::optional<Stated> st = read_params(offer, false);
    if (!st) continue;  // RFC 7692 7.1: decline this offer; a later one may do
    DeflateParams params;
    // RFC 7692 7.1.1: a flag the client asks for is accepted by echoing it; a flag our
    // options want may be added even if not offered.
    params.server_no_context_takeover =
        st->server_no_context_takeover || options.server_no_context_takeover;
    params.client_no_context_takeover =
        st->client_no_context_takeover || options.client_no_context_takeover;
    // RFC 7692 7.1.2.1: we may always use a smaller window than the client allows.
    params.server_max_window_bits =
        std::min(options.server_max_window_bits, st->server_max_window_bits.value_or(max_bits));
    // RFC 7692 7.1.2.2: the client's window can be limited only if it offered the parameter;
    // an offered value is already a promise of the client's.
    if (st->client_max_window_bits) {
      params.client_max_window_bits = std::min(options.client_max_window_bits,
                                               st->client_max_window_bits_value.value_or(max_bits));
    }

    ExtensionOffer reply{std::string(permessage_deflate_name), {}};
    if (params.server_no_context_takeover) add_flag(reply, "server_no_context_takeover");
    if (params.client_no_context_takeover) add_flag(reply, "client_no_context_takeover");
    if (st->server_max_window_bits || params.server_max_window_bits < max_bits) {
      add_bits(reply, "server_max_window_bits", params.server_max_window_bits);
    }
    if (st->client_max_window_bits &&
        (st->client_max_window_bits_value || params.client_max_window_bits < max_bits)) {
      add_bits(reply, "client_max_window_bits", params.client_max_window_bits);
    }
    response_value = format_extension(reply);
    return params;
  }
  return std::nullopt;
}

std::optional<DeflateParams> negotiate_server(std::string_view header_value,
                                              const DeflateOptions& options,
                                              std::string& response_value, std::error_code& ec) {
  ec.clear();
  response_value.clear();
  const auto offers = parse_extensions(header_value);
  if (!offers) {
    ec = make_error_code(Error::bad_extension_offer);
    return std::nullopt;
  }
  return negotiate_server(*offers, options, response_value);
}

std::string client_offer(const DeflateOptions& options) {
  if (!options.enabled) return {};
  ExtensionOffer offer{std::string(permessage_deflate_name), {}};
  if (options.server_no_context_takeover) add_flag(offer, "server_no_context_takeover");
  if (options.client_no_context_takeover) add_flag(offer, "client_no_context_takeover");
  if (options.server_max_window_bits < max_bits) {
    add_bits(offer, "server_max_window_bits", options.server_max_window_bits);
  }
  // Always offered, so that a server short of memory may ask for a smaller window rather
  // than decline (RFC 7692 7.1.2.2).
  if (options.client_max_window_bits < max_bits) {
    add_bits(offer, "client_max_window_bits", options.client_max_window_bits);
  } else {
    add_flag(offer, "client_max_window_bits");
  }
  return format_extension(offer);
}

std::optional<DeflateParams> accept_server_response(std::string_view header_value,
                                                    const DeflateOptions& offered,
                                                    std::error_code& ec) {
  ec.clear();
  if (header_value.find_first_not_of(" \t") == std::string_view::npos) return std::nullopt;
  if (!offered.enabled) return fail(ec);  // RFC 6455 4.1: nothing was offered
  const auto list = parse_extensions(header_value);
  if (!list || list->size() != 1 || (*list)[0].name != permessage_deflate_name) return fail(ec);
  const std::optional<Stated> st = read_params((*list)[0], true);
  if (!st) return fail(ec);
  // RFC 7692 7.1.1.1: a server accepts our server_no_context_takeover by echoing it.
  if (offered.server_no_context_takeover && !st->server_no_context_takeover) return fail(ec);
  // RFC 7692 7.1.2.1: ... and our server_max_window_bits with the same or a smaller value.
  if (offered.server_max_window_bits < max_bits &&
      (!st->server_max_window_bits ||
       *st->server_max_window_bits > offered.server_max_window_bits)) {
    return fail(ec);
  }
  // RFC 7692 7.1.2.2: never more than we offered to use.
  if (st->client_max_window_bits_value &&
      *st->client_max_window_bits_value > offered.client_max_window_bits) {
    return fail(ec);
  }
  DeflateParams params;
  params.server_no_context_takeover = st->server_no_context_takeover;
  // RFC 7692 7.1.1.2: offering client_no_context_takeover binds us even if not echoed.
  params.client_no_context_takeover =
      st->client_no_context_takeover || offered.client_no_context_takeover;
  params.server_max_window_bits = st->server_max_window_bits.value_or(max_bits);
  params.client_max_window_bits =
      std::min(st->client_max_window_bits_value.value_or(max_bits), offered.client_max_window_bits);
  return params;
}

}  // namespace uvws::ws
