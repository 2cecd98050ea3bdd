// Where the Redis bridge connects (ServerOptions::redis). Private to ws/src.
//
// Accepted forms (docs/REDIS.md):
//   redis://[user:password@]host[:port][/db]   TCP; host may be an IPv6 literal in brackets;
//                                               user and password may be percent-encoded
//   redis://:password@host                     a password without a user (Redis before 6)
//   /path/to/redis.sock  or  unix:///path       a Unix socket
// The port defaults to 6379. The database number is checked but has no effect on pub/sub:
// Redis channels do not belong to a database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace uvws::detail {

struct RedisUrl {
  std::string host;  // empty for a Unix socket
  std::uint16_t port = 6379;
  std::string unix_path;  // non-empty for a Unix socket
  std::string user;       // empty: AUTH with the password only
  std::string password;   // empty: no AUTH
  int db = 0;

  // For logs: the address without the credentials.
  std::string address() const;
};

// Parses `url`; throws std::invalid_argument saying what is wrong with it.
RedisUrl parse_redis_url(std::string_view url);

}  // namespace uvws::detail
