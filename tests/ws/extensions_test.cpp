// Sec-WebSocket-Extensions parsing (RFC 6455 9.1) and permessage-deflate negotiation
// (RFC 7692 5, 7.1) for both roles.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "uvws/ws/error.h"
#include "uvws/ws/extensions.h"
#include "uvws/ws/permessage_deflate.h"

namespace ws = uvws::ws;

namespace {

ws::DeflateOptions enabled() {
  ws::DeflateOptions o;
  o.enabled = true;
  return o;
}

}  // namespace

TEST_CASE("extension lists parse into names and parameters in order", "[ws][extensions]") {
  const auto list = ws::parse_extensions(
      "permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
      "permessage-deflate, x-webkit-deflate-frame");
  REQUIRE(list);
  REQUIRE(list->size() == 3);
  const ws::ExtensionOffer& first = (*list)[0];
  CHECK(first.name == "permessage-deflate");
  REQUIRE(first.params.size() == 2);
  CHECK(first.params[0] == ws::ExtensionParam{"client_max_window_bits", std::nullopt});
  CHECK(first.params[1] == ws::ExtensionParam{"server_max_window_bits", "10"});
  CHECK((*list)[1].params.empty());
  CHECK((*list)[2].name == "x-webkit-deflate-frame");
}

TEST_CASE("extension lists allow whitespace, empty elements and quoted tokens",
          "[ws][extensions]") {
  const auto list = ws::parse_extensions(" ,\tfoo ;  a = 1 ;b=\"2\" ;c=\"x\\yz\" ,, bar , ");
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  const std::vector<ws::ExtensionParam> expected{{"a", "1"}, {"b", "2"}, {"c", "xyz"}};
  CHECK((*list)[0] == ws::ExtensionOffer{"foo", expected});
  CHECK((*list)[1] == ws::ExtensionOffer{"bar", {}});
}

TEST_CASE("malformed extension lists are refused", "[ws][extensions]") {
  const char* bad =
      GENERATE("", "   ", ",", " , ,", "; a", "foo;", "foo; =1", "foo; a=", "foo; a=\"\"",
               "foo; a=\"1 2\"", "foo; a=\"open", "foo bar", "foo; a=1 2", "fo@o", "foo; a=\"x\\",
               "foo;;a", "foo; a==1", "foo; a=\"1\"2", "foo; a=b=c", "foo,; a", "foo; a=\"\x01\"",
               "foo; a=\"b,c\"", "foo; a=\"b;c\"", "foo\x7f");
  CAPTURE(bad);
  CHECK_FALSE(ws::parse_extensions(bad));
}

TEST_CASE("formatting extension lists inverts parsing", "[ws][extensions]") {
  const std::vector<ws::ExtensionOffer> list{
      {"permessage-deflate", {{"client_max_window_bits", std::nullopt}, {"x", "10"}}}, {"foo", {}}};
  const std::string text = ws::format_extensions(list);
  CHECK(text == "permessage-deflate; client_max_window_bits; x=10, foo");
  CHECK(ws::parse_extensions(text) == list);
  CHECK_THROWS_AS(ws::format_extension({"bad name", {}}), std::invalid_argument);
  CHECK_THROWS_AS(ws::format_extension({"ok", {{"p", "a b"}}}), std::invalid_argument);
}

TEST_CASE("the server answers the offers of real clients", "[ws][extensions][deflate]") {
  struct Row {
    const char* who;
    const char* offer;
    int client_bits_option;
    const char* response;
    int client_bits;
  };
  const Row row = GENERATE(
      Row{"Chrome", "permessage-deflate; client_max_window_bits", 15, "permessage-deflate", 15},
      Row{"Chrome, small client window", "permessage-deflate; client_max_window_bits", 10,
          "permessage-deflate; client_max_window_bits=10", 10},
      Row{"Firefox", "permessage-deflate", 15, "permessage-deflate", 15},
      // Firefox does not offer client_max_window_bits, so the server may not limit it.
      Row{"Firefox, small client window", "permessage-deflate", 10, "permessage-deflate", 15},
      Row{"python-websockets", "permessage-deflate; client_max_window_bits", 15,
          "permessage-deflate", 15},
      Row{"a client promising 9 bits", "permessage-deflate; client_max_window_bits=9", 12,
          "permessage-deflate; client_max_window_bits=9", 9});
  CAPTURE(row.who);
  ws::DeflateOptions options = enabled();
  options.client_max_window_bits = row.client_bits_option;
  std::string response;
  std::error_code ec;
  const auto params = ws::negotiate_server(row.offer, options, response, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(params);
  CHECK(response == row.response);
  CHECK(params->client_max_window_bits == row.client_bits);
  CHECK(params->server_max_window_bits == 15);
}

TEST_CASE("the server honours context takeover and window requests", "[ws][extensions][deflate]") {
  struct Row {
    const char* offer;
    int server_bits_option;
    bool server_nct_option;
    const char* response;
    ws::DeflateParams params;
  };
  const Row row = GENERATE(Row{"permessage-deflate; server_no_context_takeover",
                               15,
                               false,
                               "permessage-deflate; server_no_context_takeover",
                               {15, 15, true, false}},
                           Row{"permessage-deflate; client_no_context_takeover",
                               15,
                               false,
                               "permessage-deflate; client_no_context_takeover",
                               {15, 15, false, true}},
                           Row{"permessage-deflate",
                               15,
                               true,
                               "permessage-deflate; server_no_context_takeover",
                               {15, 15, true, false}},
                           Row{"permessage-deflate; server_max_window_bits=10",
                               15,
                               false,
                               "permessage-deflate; server_max_window_bits=10",
                               {10, 15, false, false}},
                           Row{"permessage-deflate; server_max_window_bits=14",
                               12,
                               false,
                               "permessage-deflate; server_max_window_bits=12",
                               {12, 15, false, false}},
                           Row{"permessage-deflate",
                               11,
                               false,
                               "permessage-deflate; server_max_window_bits=11",
                               {11, 15, false, false}},
                           Row{"permessage-deflate; server_max_window_bits=\"9\"",
                               15,
                               false,
                               "permessage-deflate; server_max_window_bits=9",
                               {9, 15, false, false}},
                           Row{"permessage-deflate; server_max_window_bits=8",
                               15,
                               false,
                               "permessage-deflate; server_max_window_bits=8",
                               {8, 15, false, false}});
  CAPTURE(row.offer);
  ws::DeflateOptions options = enabled();
  options.server_max_window_bits = row.server_bits_option;
  options.server_no_context_takeover = row.server_nct_option;
  std::string response;
  std::error_code ec;
  const auto params = ws::negotiate_server(row.offer, options, response, ec);
  REQUIRE(params);
  CHECK(response == row.response);
  CHECK(*params == row.params);
}

TEST_CASE("the server declines bad offers and falls back to the next one",
          "[ws][extensions][deflate]") {
  const char* bad = GENERATE(
      "permessage-deflate; unknown", "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
      "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=08",
      "permessage-deflate; client_max_window_bits=1O",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
      "permessage-deflate; server_max_window_bits=10; server_max_window_bits=11");
  CAPTURE(bad);
  std::string response = "stale";
  std::error_code ec;
  CHECK_FALSE(ws::negotiate_server(bad, enabled(), response, ec));
  CHECK_FALSE(ec);  // declining is not a handshake failure (RFC 7692 7.1)
  CHECK(response.empty());

  const std::string with_fallback = std::string("x-webkit-deflate-frame, ") + bad +
                                    ", permessage-deflate; client_no_context_takeover";
  const auto params = ws::negotiate_server(with_fallback, enabled(), response, ec);
  REQUIRE(params);
  CHECK(params->client_no_context_takeover);
  CHECK(response == "permessage-deflate; client_no_context_takeover");
}

TEST_CASE("the server ignores offers when deflate is disabled and rejects bad syntax",
          "[ws][extensions][deflate]") {
  std::string response;
  std::error_code ec;
  CHECK_FALSE(ws::negotiate_server("permessage-deflate", ws::DeflateOptions{}, response, ec));
  CHECK_FALSE(ec);
  CHECK(response.empty());
  CHECK_FALSE(ws::negotiate_server("permessage-deflate; a=\"", enabled(), response, ec));
  CHECK(ec == ws::Error::bad_extension_offer);
  CHECK(ec == ws::Condition::handshake_failed);
}

TEST_CASE("the client offer reflects the options", "[ws][extensions][deflate]") {
  CHECK(ws::client_offer(ws::DeflateOptions{}).empty());
  CHECK(ws::client_offer(enabled()) == "permessage-deflate; client_max_window_bits");
  ws::DeflateOptions o = enabled();
  o.server_no_context_takeover = o.client_no_context_takeover = true;
  o.server_max_window_bits = 10;
  o.client_max_window_bits = 9;
  CHECK(ws::client_offer(o) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=9");
}

TEST_CASE("the client accepts valid responses", "[ws][extensions][deflate]") {
  std::error_code ec;
  CHECK_FALSE(ws::accept_server_response("", enabled(), ec));
  CHECK_FALSE(ec);
  CHECK_FALSE(ws::accept_server_response(" \t", ws::DeflateOptions{}, ec));
  CHECK_FALSE(ec);

  auto params = ws::accept_server_response("permessage-deflate", enabled(), ec);
  REQUIRE(params);
  CHECK(*params == ws::DeflateParams{});

  params = ws::accept_server_response(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
      "server_max_window_bits=12; client_max_window_bits=11",
      enabled(), ec);
  REQUIRE(params);
  CHECK(*params == ws::DeflateParams{12, 11, true, true});

  ws::DeflateOptions o = enabled();
  o.server_max_window_bits = 10;
  o.client_max_window_bits = 12;
  o.client_no_context_takeover = true;
  params = ws::accept_server_response("permessage-deflate; server_max_window_bits=9", o, ec);
  REQUIRE(params);
  // The client keeps to what it offered even when the server does not repeat it.
  CHECK(*params == ws::DeflateParams{9, 12, false, true});
}

TEST_CASE("the client fails on responses it did not ask for", "[ws][extensions][deflate]") {
  struct Row {
    const char* response;
    bool offered_server_nct;
    int offered_server_bits;
    int offered_client_bits;
  };
  const Row row =
      GENERATE(Row{"x-webkit-deflate-frame", false, 15, 15},
               Row{"permessage-deflate, permessage-deflate", false, 15, 15},
               Row{"permessage-deflate; bogus", false, 15, 15},
               Row{"permessage-deflate; client_max_window_bits", false, 15, 15},
               Row{"permessage-deflate; server_max_window_bits=16", false, 15, 15},
               Row{"permessage-deflate; server_no_context_takeover=x", false, 15, 15},
               Row{"permessage-deflate;", false, 15, 15}, Row{"permessage-deflate", true, 15, 15},
               Row{"permessage-deflate", false, 10, 15},
               Row{"permessage-deflate; server_max_window_bits=11", false, 10, 15},
               Row{"permessage-deflate; client_max_window_bits=13", false, 15, 12});
  CAPTURE(row.response);
  ws::DeflateOptions o = enabled();
  o.server_no_context_takeover = row.offered_server_nct;
  o.server_max_window_bits = row.offered_server_bits;
  o.client_max_window_bits = row.offered_client_bits;
  std::error_code ec;
  CHECK_FALSE(ws::accept_server_response(row.response, o, ec));
  CHECK(ec == ws::Error::unexpected_extension);

  ec.clear();
  CHECK_FALSE(ws::accept_server_response("permessage-deflate", ws::DeflateOptions{}, ec));
  CHECK(ec == ws::Error::unexpected_extension);
}

TEST_CASE("both ends agree on the parameters they negotiated", "[ws][extensions][deflate]") {
  const int server_bits = GENERATE(8, 12, 15);
  const int client_bits = GENERATE(9, 15);
  const bool client_nct = GENERATE(false, true);
  const bool server_nct = GENERATE(false, true);
  ws::DeflateOptions client = enabled();
  client.server_max_window_bits = server_bits;
  client.client_no_context_takeover = client_nct;
  ws::DeflateOptions server = enabled();
  server.client_max_window_bits = client_bits;
  server.server_no_context_takeover = server_nct;
  ws::validate(client);
  ws::validate(server);

  std::string response;
  std::error_code ec;
  const auto at_server = ws::negotiate_server(ws::client_offer(client), server, response, ec);
  REQUIRE(at_server);
  const auto at_client = ws::accept_server_response(response, client, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(at_client);
  CHECK(*at_client == *at_server);
  CHECK(at_server->server_max_window_bits == server_bits);
  CHECK(at_server->client_max_window_bits == client_bits);
}

TEST_CASE("options out of range are refused at start-up", "[ws][extensions][deflate]") {
  ws::DeflateOptions o = enabled();
  CHECK_NOTHROW(ws::validate(o));
  o.server_max_window_bits = 7;
  CHECK_THROWS_AS(ws::validate(o), std::invalid_argument);
  o = enabled();
  o.client_max_window_bits = 16;
  CHECK_THROWS_AS(ws::validate(o), std::invalid_argument);
  o = enabled();
  o.compression_level = 10;
  CHECK_THROWS_AS(ws::validate(o), std::invalid_argument);
  o = enabled();
  o.mem_level = 0;
  CHECK_THROWS_AS(ws::validate(o), std::invalid_argument);
}
