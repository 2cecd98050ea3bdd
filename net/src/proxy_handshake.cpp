#include "uvws/net/proxy_handshake.h"

#include "uvws/net/proxy_http_connect.h"
#include "uvws/net/proxy_socks5.h"

namespace uvws::net {

ProxyHandshake::~ProxyHandshake() = default;

std::unique_ptr<ProxyHandshake> make_proxy_handshake(const ProxyConfig& config,
                                                     std::string_view target_host,
                                                     std::uint16_t target_port) {
  if (config.kind == ProxyKind::http_connect) {
    return std::make_unique<HttpConnectHandshake>(std::string(target_host), target_port,
                                                  config.credentials);
  }
  return std::make_unique<Socks5Handshake>(std::string(target_host), target_port,
                                           config.credentials);
}

bool proxy_resolves_names(const ProxyConfig& config) noexcept {
  return config.kind != ProxyKind::socks5;
}

}  // namespace uvws::net
