// permessage-deflate (RFC 7692): options, the handshake negotiation for both roles, and the
// per-connection codec that inflates and deflates message payloads.
//
// zlib stays out of this header: the codec keeps its streams behind an opaque struct, so
// only permessage_deflate.cpp includes zlib.h and uvws_ws_protocol links zlib privately.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "uvws/core/buffer.h"
#include "uvws/core/export.h"
#include "uvws/ws/error.h"
#include "uvws/ws/extensions.h"

namespace uvws::ws {

namespace detail {
struct DeflateStream;  // a zlib stream with allocation accounting (permessage_deflate.cpp)
}  // namespace detail

// The extension's name in Sec-WebSocket-Extensions (RFC 7692 7).
inline constexpr std::string_view permessage_deflate_name = "permessage-deflate";

// What this endpoint is willing to negotiate and how it compresses. A plain struct: check it
// once at start-up with validate(). The same struct serves both roles: a server answers
// offers with it, a client builds its offer from it.
//
// Memory per connection, with context takeover (zlib 1.2.13, 64-bit): an inflate stream
// holds ~7 KiB of state plus a 32 KiB window (it always inflates with 15 bits, see
// PerMessageDeflate); a deflate stream holds 4 * 2^bits bytes of window and hash chain (bits:
// compression_window_bits, or the negotiated window if smaller) plus 2^(mem_level + 9) bytes of
// hash table and pending buffer, plus ~6 KiB of state. At the defaults below that is ~39 KiB
// to inflate and ~32 KiB to deflate (~142 KiB with compression_window_bits 15), of which only
// the pages touched so far are resident. The no_context_takeover flags cut it further, and
// release_idle() gives it back while a connection is quiet: see PerMessageDeflate.
struct UVWS_EXPORT DeflateOptions {
  // Off by default: compression costs the memory above per busy connection, and CPU.
  bool enabled = false;
  // The largest LZ77 window (log2, 8..15) the server compresses with (RFC 7692 7.1.2.1). On
  // a server this is our limit; on a client, a value below 15 is asked of the server.
  int server_max_window_bits = 15;
  // The largest window the client compresses with (RFC 7692 7.1.2.2). A server can impose
  // it only on clients that offered the parameter; other clients are accepted with 15.
  //
  // Window bits 8: zlib cannot produce raw deflate with a 256-byte window. The side that
  // must compress within 8 bits therefore sends its messages uncompressed (should_compress()
  // says false; compress() still emits valid stored blocks), which RFC 7692 6 allows. The
  // side that inflates uses a 512-byte window, which accepts everything a 256-byte one does.
  int client_max_window_bits = 15;
  // Reset the server's (client's) compressor after every message (RFC 7692 7.1.1): worse
  // compression, but no compressor state to keep between messages; see PerMessageDeflate.
  bool server_no_context_takeover = false;
  // As server_no_context_takeover, for the client's compressor.
  bool client_no_context_takeover = false;
  // zlib level 0..9. 6 (zlib's default) costs ~1.5x the CPU of 1 and saves ~30% of the bytes
  // on chat-like JSON.
  int compression_level = 6;
  // Messages shorter than this are sent uncompressed with RSV1 clear (RFC 7692 6 lets a sender
  // choose per message): below a few dozen bytes deflate rarely saves anything.
  std::size_t min_size_to_compress = 64;
  // zlib memLevel 1..9: the hash table and pending buffer take 2^(mem_level + 9) bytes. 4
  // rather than zlib's 8 saves 120 KiB per compressor; on messages flushed one by one the
  // ratio is within 1% of level 8 (blocks end at every message anyway).
  int mem_level = 4;
  // The LZ77 window (log2, 9..15) our compressor uses when the negotiated one is larger
  // (server_max_window_bits on a server, client_max_window_bits on a client). Not negotiated:
  // RFC 7692 7.1.2 bounds only the largest window a sender uses, and what a smaller window
  // produces inflates with any larger one, so the peer and the handshake see no difference. The
  // CPU a message costs grows with the window: zlib's match search walks hash chains through
  // all of it, and with many connections each compressor's window and chains fall out of the
  // CPU caches between its messages. 12, python-websockets' default, against 15 on ~1 KiB JSON
  // messages with context takeover (bench/deflate.sh, 100 connections): 2.4-2.9x less server
  // CPU per echoed message, ~16% more bytes (13: ~2x less CPU, ~8% more bytes). It also cuts a
  // busy compressor's memory (see above). 15 uses whatever was negotiated.
  int compression_window_bits = 12;
};

// Throws std::invalid_argument naming the first field out of range.
UVWS_EXPORT void validate(const DeflateOptions& options);

// What was agreed for one connection (RFC 7692 7.1), as seen by both ends.
struct UVWS_EXPORT DeflateParams {
  // The LZ77 window (log2) the server compresses with (RFC 7692 7.1.2.1).
  int server_max_window_bits = 15;
  // The LZ77 window (log2) the client compresses with (RFC 7692 7.1.2.2).
  int client_max_window_bits = 15;
  // The server resets its compressor after each message (RFC 7692 7.1.1.1).
  bool server_no_context_takeover = false;
  // The client resets its compressor after each message (RFC 7692 7.1.1.2).
  bool client_no_context_takeover = false;

  // Equal parameters.
  bool operator==(const DeflateParams&) const = default;
};

// Server side of RFC 7692 5 and 7.1: walks the offers in order and accepts the first
// permessage-deflate offer it can honour, writing the Sec-WebSocket-Extensions response value
// to `response_value` (cleared when nothing is accepted). Offers of other extensions are
// ignored. A permessage-deflate offer is declined, and the next one tried, when it has a
// parameter RFC 7692 does not define for offers, a parameter twice, or an invalid value (a
// window size not written as 8..15 without leading zeros, a value on a flag) (RFC 7692 7.1:
// the server MUST decline such offers; the handshake still succeeds). Returns nullopt, with
// no error, when options.enabled is false or every offer was declined.
//
// The response says server_no_context_takeover and client_no_context_takeover when either
// the client or our options ask for them, server_max_window_bits when the client asked or we
// use less than 15 (the smaller of the two), and client_max_window_bits only when the client
// offered it (RFC 7692 7.1.2.2), with the smaller of its value and ours.
UVWS_EXPORT std::optional<DeflateParams> negotiate_server(std::span<const ExtensionOffer> offers,
                                                          const DeflateOptions& options,
                                                          std::string& response_value);
// The same from the raw header value (several header lines joined with ", "). A value that
// does not parse sets `ec` to Error::bad_extension_offer (answered with 400) and returns
// nullopt; otherwise `ec` is cleared.
UVWS_EXPORT std::optional<DeflateParams> negotiate_server(std::string_view header_value,
                                                          const DeflateOptions& options,
                                                          std::string& response_value,
                                                          std::error_code& ec);

// The client's Sec-WebSocket-Extensions value: "permessage-deflate" with the flags set in
// `options`, server_max_window_bits=N when N < 15, and always client_max_window_bits (with
// "=N" when N < 15) so that the server may ask for a smaller window. Empty when disabled.
UVWS_EXPORT std::string client_offer(const DeflateOptions& options);

// Client side of RFC 7692 7.1: checks the server's Sec-WebSocket-Extensions value against
// what client_offer(offered) sent. An empty (or blank) value means the server declined:
// nullopt, no error. Sets `ec` to Error::unexpected_extension and returns nullopt when the
// value does not parse, names anything but one permessage-deflate, repeats or invents a
// parameter, gives a window size outside 8..15 or above what was offered, or leaves out
// server_no_context_takeover or server_max_window_bits that the client asked for
// (RFC 7692 7.1.1.1, 7.1.2.1, 7.1.2.2: the client MUST fail the connection).
UVWS_EXPORT std::optional<DeflateParams> accept_server_response(std::string_view header_value,
                                                                const DeflateOptions& offered,
                                                                std::error_code& ec);

// The settings of a compressor that resets after every message (PerMessageDeflate::stateless):
// equal settings give equal output for a message, so its payload can be shared.
struct UVWS_EXPORT StatelessCompression {
  std::uint8_t window_bits = 0;  // LZ77 window (log2), 9..15
  std::uint8_t level = 0;        // zlib level
  std::uint8_t mem_level = 0;    // zlib memLevel
  std::uint32_t min_size = 0;    // smaller messages go uncompressed (should_compress())
  bool operator==(const StatelessCompression&) const = default;  // same output for a message
};

// Compresses `message` as PerMessageDeflate::compress() does for a connection whose stateless()
// settings are `settings`, with the calling thread's shared compressor: the payload to send
// with RSV1 set. Any thread.
UVWS_EXPORT void compress_stateless(std::span<const std::uint8_t> message,
                                    const StatelessCompression& settings, core::Buffer& out);

// The permessage-deflate codec of one connection: inflates the peer's messages and deflates
// ours, with raw DEFLATE streams (RFC 7692 7.2).
//
// Ownership and memory: owned by the connection's protocol object. It allocates nothing
// until the first compressed message in each direction; then each stream lives as long as
// context takeover needs it. When the peer resets its context (no_context_takeover) our
// inflater is reset with inflateReset, not reallocated, after every message; release_idle()
// frees such streams entirely while no message is in progress. When our side resets its
// context, compress() borrows a compressor shared by every connection of the calling thread
// with the same settings, so such connections hold no compressor at all.
//
// Threads: one connection, one thread. compress() uses the calling thread's shared
// compressor, so objects may move between threads only between calls.
//
// Errors: bad peer data gives Error::bad_compressed_data, output over the caller's limit
// Error::message_too_big; either way the message is lost and the caller fails the connection
// (close codes 1007 and 1009). Allocation failure throws std::bad_alloc.
class UVWS_EXPORT PerMessageDeflate {
 public:
  // Which end this is: it compresses with its own parameters and inflates with the peer's.
  enum class Role : std::uint8_t { server, client };

  // `params` from negotiate_server() or accept_server_response(); only compression_level,
  // mem_level and min_size_to_compress are read from `options` (validated beforehand).
  PerMessageDeflate(const DeflateParams& params, Role role, const DeflateOptions& options);
  ~PerMessageDeflate();
  // Moves the streams; the moved-from object may only be destroyed or assigned to.
  PerMessageDeflate(PerMessageDeflate&&) noexcept;
  // Moves the streams.
  PerMessageDeflate& operator=(PerMessageDeflate&&) noexcept;
  PerMessageDeflate(const PerMessageDeflate&) = delete;
  PerMessageDeflate& operator=(const PerMessageDeflate&) = delete;

  // Inflates the next piece of a compressed message's payload (any split; pieces of one
  // message are given in order, across frames), appending the output to `out`. Stops before
  // out.size() can exceed max_total_out by more than one byte and then returns
  // Error::message_too_big: zlib never writes past that, so a bomb costs no more than the
  // limit. `in` need only stay valid during the call. After a block with BFINAL set
  // (RFC 7692 7.2.3.4) the rest of the message is padding and is ignored.
  std::optional<Error> inflate(std::span<const std::uint8_t> in, core::Buffer& out,
                               std::size_t max_total_out);
  // Ends the message: inflates the 0x00 0x00 0xff 0xff tail the sender removed
  // (RFC 7692 7.2.2), which may still produce output, under the same limit. The payload must
  // then end on a block boundary, as every conforming sender's does (RFC 7692 7.2.1);
  // otherwise Error::bad_compressed_data, since the stream would misread the next message.
  // An empty payload is an empty message. Afterwards the stream is reset if the peer uses
  // no_context_takeover, and restarted with its window kept if a BFINAL block ended it.
  std::optional<Error> finish_inflate(core::Buffer& out, std::size_t max_total_out);

  // Whether a message of `size` bytes is worth compressing: at least min_size_to_compress,
  // and our window may be used by zlib (not 8 bits, see DeflateOptions). Messages it refuses
  // are sent as they are, with RSV1 clear.
  bool should_compress(std::size_t size) const;
  // Compresses a whole message and appends the payload to send (RSV1 set) to `out`:
  // DEFLATE with Z_SYNC_FLUSH and the trailing 0x00 0x00 0xff 0xff removed (RFC 7692 7.2.1).
  // Precondition: no compress_fragment() message is in progress.
  void compress(std::span<const std::uint8_t> message, core::Buffer& out);
  // Compresses a message sent in fragments: call once per frame in order, `fin` on the
  // last. Each call's output is complete (flushed), so every frame can go out at once; only
  // the first frame carries RSV1 (RFC 7692 6.1).
  void compress_fragment(std::span<const std::uint8_t> data, bool fin, core::Buffer& out);

  // Gives back the zlib state of each direction with no message in progress (for an idle
  // connection). A stream that no_context_takeover makes stateless between messages is freed;
  // one that context takeover needs keeps only its window's bytes (what the peer or we may
  // still refer to: at most 32 KiB, often far less), and is rebuilt from them with the next
  // message. Costs one zlib init (and a dictionary copy) at the next message.
  void release_idle();
  // Bytes currently held for this connection: its stream objects and what zlib allocated
  // for them (the per-thread shared compressor is not counted).
  std::size_t memory_usage() const;

  // The negotiated parameters.
  const DeflateParams& params() const { return params_; }
  // Which end this is.
  Role role() const { return role_; }

  // The per-thread shared compressor's zlib allocation on the calling thread (0 if unused).
  static std::size_t shared_compressor_memory();

  // When our side resets its context after every message (no_context_takeover) and its window
  // lets zlib compress, what compress() produces depends on the message and these settings
  // alone: connections with equal settings can share one compressed payload (a published
  // message compressed once for all its subscribers, compress_stateless()). nullopt otherwise.
  std::optional<StatelessCompression> stateless() const;

 private:
  using Stream = detail::DeflateStream;

  bool own_no_context_takeover() const;
  bool peer_no_context_takeover() const;
  int own_window_bits() const;
  int own_level() const;  // 0 (stored blocks only) when our window is 8 bits
  // The window our compressor uses: own_window_bits() capped by compression_window_bits.
  int compress_window_bits() const;
  // The streams, made on first use (from the saved window, if release_idle() kept one).
  Stream& inflater();
  Stream& deflater();
  static void restore_window(Stream& s, core::Buffer& saved);
  // Keeps `s`'s window in `saved` and frees `s`.
  static void save_window(std::unique_ptr<Stream>& s, core::Buffer& saved);
  Error fail_inflate(Error e);
  std::optional<Error> run_inflate(std::span<const std::uint8_t> in, core::Buffer& out,
                                   std::size_t max_total_out);

  DeflateParams params_;
  Role role_;
  std::uint8_t level_;
  std::uint8_t mem_level_;
  std::uint8_t compress_bits_;
  std::size_t min_size_;
  std::unique_ptr<Stream> inflater_;
  std::unique_ptr<Stream> deflater_;
  // The windows release_idle() kept of released context-takeover streams (empty otherwise).
  core::Buffer saved_inflate_window_;
  core::Buffer saved_deflate_window_;
};

}  // namespace uvws::ws
