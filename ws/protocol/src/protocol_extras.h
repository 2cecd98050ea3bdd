// Protocol::Extras: the state a connection needs only sometimes, allocated on first use so that
// an open, idle connection without compression or subprotocol costs one null pointer.
// Private to the protocol's implementation files.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "uvws/ws/protocol.h"

namespace uvws::ws {

struct Protocol::Extras {
  std::unique_ptr<PerMessageDeflate> deflate;
  std::string subprotocol;
  std::string close_reason;
  // The close code to report for a failure (see close_code_to_report()): the one a protocol
  // failure called for, whether or not it could be sent, or 1006 after EOF or a failed
  // handshake. 0 while the connection has not failed.
  std::uint16_t failure_code = 0;
  // Client: the key sent, the masking key source, and where the header search resumes.
  std::string client_key;
  std::uint32_t (*mask_key_source)() = nullptr;
  std::size_t header_scan = 0;
  // Handshake messages, kept from their arrival until the glue calls release_handshake().
  std::unique_ptr<HTTPRequest> request;
  std::unique_ptr<HTTPResponse> response;
  // Server: the handshake ended while its request waited for an answer (EOF, early data); a
  // late accept() or reject() returns this error and writes nothing.
  std::optional<Error> unanswered_end;
};

}  // namespace uvws::ws
