// RecordLayer: TLS 1.3 records after the handshake without OpenSSL's SSL object (tls_records.h
// says why and what it serves). References are to RFC 8446.
#include "tls_records.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "uvws/net/tls.h"

namespace uvws::net::detail {
namespace {

constexpr std::uint8_t type_alert = 21;
constexpr std::uint8_t type_handshake = 22;
constexpr std::uint8_t type_application_data = 23;
constexpr std::size_t header_len = 5;
constexpr std::size_t tag_len = 16;
constexpr std::size_t max_plaintext = 1u << 14;           // 5.1
constexpr std::size_t max_ciphertext = (1u << 14) + 256;  // 5.2
constexpr unsigned max_key_updates = 32;                  // OpenSSL's limit in a row

// Alert descriptions (6).
constexpr int alert_close_notify = 0;
constexpr int alert_unexpected_message = 10;
constexpr int alert_bad_record_mac = 20;
constexpr int alert_record_overflow = 22;
constexpr int alert_illegal_parameter = 47;
constexpr int alert_decode_error = 50;
constexpr int alert_internal_error = 80;
constexpr int alert_user_canceled = 90;

std::error_code ssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), tls_category()};
}

// Every key made gets a new number: a per-thread cipher context keyed for it is reused as long
// as the numbers match (a reused address of a freed session cannot match).
std::atomic<std::uint64_t> generations{0};

// One cipher context per thread and direction, keyed for the last key used: an idle connection
// holds no context (an AES-GCM one is about 1.1 KB), a busy one re-keys only when another
// connection of the loop came between its records.
struct ContextSlot {
  EVP_CIPHER_CTX* ctx = nullptr;
  const EVP_CIPHER* cipher = nullptr;
  std::uint64_t generation = 0;
};
struct ContextCache {
  ContextSlot slot[2];  // [0] decrypt, [1] encrypt
  ~ContextCache() {
    // A session destroyed later on this thread (at exit, by an object of static storage
    // duration) finds no context to forget instead of a freed one.
    for (ContextSlot& s : slot) {
      EVP_CIPHER_CTX_free(s.ctx);
      s = ContextSlot{};
    }
  }
};
thread_local ContextCache contexts;

// The context of `enc` keyed with `k` and the nonce of its sequence number (5.3); null (and
// OpenSSL's error queue emptied) if OpenSSL fails.
EVP_CIPHER_CTX* keyed_or_null(const EVP_CIPHER* cipher, const RecordLayer::Keys& k, int enc) {
  // Generation 0 is no key (its derivation failed): it must never match a slot whose re-keying
  // failed and which may still hold another connection's key.
  if (k.generation == 0) return nullptr;
  ContextSlot& s = contexts.slot[enc];
  if (s.ctx == nullptr && (s.ctx = EVP_CIPHER_CTX_new()) == nullptr) return nullptr;
  if (s.cipher != cipher) {
    s.cipher = nullptr;
    s.generation = 0;
    if (EVP_CipherInit_ex(s.ctx, cipher, nullptr, nullptr, nullptr, enc) != 1) return nullptr;
    s.cipher = cipher;
  }
  std::uint8_t nonce[12];
  std::memcpy(nonce, k.iv, sizeof nonce);
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<std::uint8_t>(k.seq >> (8 * i));
  const bool rekey = s.generation != k.generation;
  s.generation = 0;
  if (EVP_CipherInit_ex(s.ctx, nullptr, nullptr, rekey ? k.key : nullptr, nonce, enc) != 1) {
    return nullptr;
  }
  s.generation = k.generation;
  return s.ctx;
}

EVP_CIPHER_CTX* keyed(const EVP_CIPHER* cipher, const RecordLayer::Keys& k, int enc) {
  EVP_CIPHER_CTX* ctx = keyed_or_null(cipher, k, enc);
  if (ctx == nullptr) ERR_clear_error();
  return ctx;
}

// Drops a key from this thread's contexts when its connection goes.
void forget(std::uint64_t generation) {
  for (ContextSlot& s : contexts.slot) {
    if (s.ctx != nullptr && generation != 0 && s.generation == generation) {
      EVP_CIPHER_CTX_reset(s.ctx);  // frees (and cleanses) the provider's key schedule
      s.cipher = nullptr;
      s.generation = 0;
    }
  }
}

// HKDF-Expand-Label(secret, label, "", out_len) (7.1).
bool expand_label(const EVP_MD* md, const std::uint8_t* secret, std::size_t secret_len,
                  const char* label, std::uint8_t* out, std::size_t out_len) {
  static EVP_KDF* const hkdf = EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr);
  if (hkdf == nullptr) {
    ERR_clear_error();
    return false;
  }
  std::uint8_t info[2 + 1 + 255 + 1];
  const std::size_t label_len = 6 + std::strlen(label);
  info[0] = static_cast<std::uint8_t>(out_len >> 8);
  info[1] = static_cast<std::uint8_t>(out_len);
  info[2] = static_cast<std::uint8_t>(label_len);
  std::memcpy(info + 3, "tls13 ", 6);
  std::memcpy(info + 9, label, label_len - 6);
  info[3 + label_len] = 0;  // empty context
  EVP_KDF_CTX* kctx = EVP_KDF_CTX_new(hkdf);
  if (kctx == nullptr) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                       const_cast<char*>(EVP_MD_get0_name(md)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret),
                                        secret_len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 4 + label_len),
      OSSL_PARAM_construct_end()};
  const bool ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
  EVP_KDF_CTX_free(kctx);
  if (!ok) ERR_clear_error();
  return ok;
}

std::size_t body_length(const std::uint8_t* header) {
  return (static_cast<std::size_t>(header[3]) << 8) | header[4];
}

}  // namespace

void RecordCounter::feed(const std::uint8_t* p, std::size_t n) noexcept {
  while (n > 0) {
    if (body_left > 0) {
      const std::size_t k = std::min(body_left, n);
      body_left -= k;
      p += k;
      n -= k;
      if (body_left == 0) ++records;
      continue;
    }
    header[header_have++] = *p++;
    --n;
    if (header_have == header_len) {
      header_have = 0;
      body_left = body_length(header);
      if (body_left == 0) ++records;
    }
  }
}

RecordLayer::~RecordLayer() {
  forget(read_.generation);
  forget(write_.generation);
  OPENSSL_cleanse(&read_, sizeof read_);
  OPENSSL_cleanse(&write_, sizeof write_);
  if (!partial_.empty()) OPENSSL_cleanse(partial_.data(), partial_.size());
}

// "SERVER_TRAFFIC_SECRET_0 <client random> <secret>" and the client's: the first application
// traffic secrets, logged as OpenSSL changes to them (the server's after its Finished went out,
// the client's once its Finished came in). From then on the records of that direction are
// counted: they are the sequence numbers the hand-over starts from.
void RecordLayer::logged(const char* line) noexcept {
  Keys* k = nullptr;
  RecordCounter* counter = nullptr;
  if (std::strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0) {
    k = &write_;
    counter = &written_;
  } else if (std::strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0) {
    k = &read_;
    counter = &consumed_;
  } else {
    return;
  }
  const char* hex = std::strrchr(line, ' ') + 1;
  k->secret_len = 0;
  // Straight into the key's own bytes (no separator between the hex digits): refused when odd,
  // not hex, or longer than the secret can be.
  std::size_t len = 0;
  if (OPENSSL_hexstr2buf_ex(k->secret, sizeof k->secret, &len, hex, '\0') != 1) {
    ERR_clear_error();
    return;
  }
  k->secret_len = static_cast<std::uint8_t>(len);
  counter->restart();
}

bool RecordLayer::take_over(const SSL* ssl) noexcept {
  if (SSL_version(ssl) != TLS1_3_VERSION || SSL_has_pending(ssl) != 0) return false;
  if (read_.secret_len == 0 || write_.secret_len == 0) return false;
  // OpenSSL decrypted no record with the client's application key (it reads no further than
  // the client's Finished), and wrote whole records only (its session tickets).
  if (!consumed_.valid || !consumed_.at_boundary() || consumed_.records != 0) return false;
  if (!written_.valid || !written_.at_boundary()) return false;
  // A client's max_fragment_length (RFC 6066 4) limits the records both ways: OpenSSL keeps them.
  const SSL_SESSION* session = SSL_get_session(ssl);
  if (session == nullptr ||
      SSL_SESSION_get_max_fragment_length(session) != TLSEXT_max_fragment_length_DISABLED) {
    return false;
  }
  const SSL_CIPHER* suite = SSL_get_current_cipher(ssl);
  if (suite == nullptr) return false;
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  switch (SSL_CIPHER_get_protocol_id(suite)) {  // B.4; the CCM suites stay with OpenSSL
    case 0x1301:
      cipher_ = aes128, md_ = sha256, key_len_ = 16;
      break;
    case 0x1302:
      cipher_ = aes256, md_ = sha384, key_len_ = 32;
      break;
    case 0x1303:
      cipher_ = chacha, md_ = sha256, key_len_ = 32;
      break;
    default:
      return false;
  }
  if (cipher_ == nullptr || md_ == nullptr) return false;
  const auto hash_len = static_cast<std::size_t>(EVP_MD_get_size(md_));
  if (read_.secret_len != hash_len || write_.secret_len != hash_len) return false;
  if (!derive(read_) || !derive(write_)) return false;
  read_.seq = 0;
  write_.seq = written_.records;
  return true;
}

// The key and IV of a traffic secret (7.3).
bool RecordLayer::derive(Keys& k) noexcept {
  k.generation = 0;
  if (!expand_label(md_, k.secret, k.secret_len, "key", k.key, key_len_) ||
      !expand_label(md_, k.secret, k.secret_len, "iv", k.iv, sizeof k.iv)) {
    return false;
  }
  k.generation = ++generations;
  k.seq = 0;
  return true;
}

// application_traffic_secret_N+1 (7.2), its key and IV.
bool RecordLayer::next_secret(Keys& k) noexcept {
  std::uint8_t next[sizeof k.secret];
  if (!expand_label(md_, k.secret, k.secret_len, "traffic upd", next, k.secret_len)) return false;
  forget(k.generation);
  std::memcpy(k.secret, next, k.secret_len);
  OPENSSL_cleanse(next, sizeof next);
  return derive(k);
}

std::error_code RecordLayer::seal_record(std::uint8_t type, const std::uint8_t* data, std::size_t n,
                                         core::Buffer& out) {
  // The sequence number never wraps (5.3): the record that would take the last one is refused.
  if (write_.seq == UINT64_MAX) return ssl_error(SSL_R_PROTOCOL_IS_SHUTDOWN);
  EVP_CIPHER_CTX* ctx = keyed(cipher_, write_, 1);
  if (ctx == nullptr) return ssl_error(ERR_R_INTERNAL_ERROR);
  const std::size_t len = n + 1 + tag_len;  // TLSInnerPlaintext without padding, and the tag
  std::uint8_t* w = out.prepare(header_len + len);
  w[0] = type_application_data;
  w[1] = 3;
  w[2] = 3;
  w[3] = static_cast<std::uint8_t>(len >> 8);
  w[4] = static_cast<std::uint8_t>(len);
  std::memcpy(w + header_len, data, n);
  w[header_len + n] = type;
  int a = 0, b = 0;
  if (EVP_CipherUpdate(ctx, nullptr, &a, w, header_len) != 1 ||
      EVP_CipherUpdate(ctx, w + header_len, &a, w + header_len, static_cast<int>(n + 1)) != 1 ||
      EVP_CipherFinal_ex(ctx, w + header_len + a, &b) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_len, w + header_len + n + 1) != 1) {
    ERR_clear_error();
    return ssl_error(ERR_R_INTERNAL_ERROR);
  }
  out.commit(header_len + len);
  ++write_.seq;
  return {};
}

std::error_code RecordLayer::seal(const std::uint8_t* plaintext, std::size_t n, core::Buffer& out) {
  if (failed_ || closed_) return ssl_error(SSL_R_PROTOCOL_IS_SHUTDOWN);
  while (n > 0) {
    const std::size_t k = std::min(n, max_plaintext);
    if (std::error_code ec = seal_record(type_application_data, plaintext, k, out)) return ec;
    plaintext += k;
    n -= k;
  }
  return {};
}

void RecordLayer::close_notify(core::Buffer& out) {
  if (failed_ || closed_) return;
  const std::uint8_t alert[2] = {1, alert_close_notify};
  static_cast<void>(seal_record(type_alert, alert, sizeof alert, out));
  closed_ = true;
}

// A fatal alert for the peer (6.2) and the error of the caller; nothing more is sent or read.
std::error_code RecordLayer::fail(int alert, int reason, core::Buffer& out) {
  if (!failed_ && !closed_) {  // nothing follows our close_notify
    const std::uint8_t a[2] = {2, static_cast<std::uint8_t>(alert)};
    static_cast<void>(seal_record(type_alert, a, sizeof a, out));
  }
  failed_ = true;
  return ssl_error(reason);
}

std::error_code RecordLayer::open_record(const std::uint8_t* header, std::uint8_t* body,
                                         std::size_t len, std::uint8_t& type, std::size_t& content,
                                         core::Buffer& out) {
  if (len < 1 + tag_len)
    return fail(alert_bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, out);
  // The sequence number never wraps (5.3): the peer should have updated its key long before.
  if (read_.seq == UINT64_MAX) return fail(alert_internal_error, ERR_R_INTERNAL_ERROR, out);
  EVP_CIPHER_CTX* ctx = keyed(cipher_, read_, 0);
  if (ctx == nullptr) return fail(alert_internal_error, ERR_R_INTERNAL_ERROR, out);
  const std::size_t n = len - tag_len;
  int a = 0, b = 0;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, body + n) != 1 ||
      EVP_CipherUpdate(ctx, nullptr, &a, header, header_len) != 1 ||
      EVP_CipherUpdate(ctx, body, &a, body, static_cast<int>(n)) != 1 ||
      EVP_CipherFinal_ex(ctx, body + a, &b) != 1) {
    ERR_clear_error();
    return fail(alert_bad_record_mac, SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC, out);
  }
  ++read_.seq;
  // The content type is the last non-zero byte (5.4).
  std::size_t end = n;
  while (end > 0 && body[end - 1] == 0) --end;
  if (end == 0) return fail(alert_unexpected_message, SSL_R_BAD_RECORD_TYPE, out);
  if (end - 1 > max_plaintext) return fail(alert_record_overflow, SSL_R_DATA_LENGTH_TOO_LONG, out);
  type = body[end - 1];
  content = end - 1;
  return {};
}

// Post-handshake messages of the client: KeyUpdate only (4.6.3), ending its record (a key
// change is at a record boundary, 5.1).
std::error_code RecordLayer::handshake_message(const std::uint8_t* p, std::size_t n,
                                               core::Buffer& out) {
  constexpr std::uint8_t key_update = 24;
  if (n < 4 || p[0] != key_update) {
    return fail(alert_unexpected_message, SSL_R_UNEXPECTED_MESSAGE, out);
  }
  const std::size_t len = (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
  // A KeyUpdate changes the key, so it ends its record (5.1): anything after it in the record is
  // unexpected_message, as in OpenSSL (SSL_R_NOT_ON_RECORD_BOUNDARY).
  if (len == 1 && n > 5) return fail(alert_unexpected_message, SSL_R_NOT_ON_RECORD_BOUNDARY, out);
  if (len != 1 || n != 5) {
    return fail(n < 4 + len ? alert_unexpected_message : alert_decode_error, SSL_R_BAD_KEY_UPDATE,
                out);
  }
  if (p[4] > 1) return fail(alert_illegal_parameter, SSL_R_BAD_KEY_UPDATE, out);
  if (++key_updates_ > max_key_updates) {
    return fail(alert_unexpected_message, SSL_R_TOO_MANY_KEY_UPDATES, out);
  }
  if (!next_secret(read_)) return fail(alert_internal_error, ERR_R_INTERNAL_ERROR, out);
  // update_requested: ours, under the old key, then the new key; none after our close_notify
  // (as OpenSSL: nothing is sent once shut down).
  if (p[4] == 1 && !closed_) {
    const std::uint8_t answer[5] = {key_update, 0, 0, 1, 0};
    if (std::error_code ec = seal_record(type_handshake, answer, sizeof answer, out)) {
      failed_ = true;
      return ec;
    }
    if (!next_secret(write_)) return fail(alert_internal_error, ERR_R_INTERNAL_ERROR, out);
  }
  return {};
}

RecordLayer::Opened RecordLayer::open(const std::uint8_t* in, std::size_t n,
                                      std::uint8_t* plaintext, core::Buffer& out) {
  Opened r;
  std::size_t p = 0;
  // One record in place: its content type's handling.
  auto deliver = [&](const std::uint8_t* header, std::uint8_t* body, std::size_t len) {
    std::uint8_t type = 0;
    std::size_t content = 0;
    if ((r.error = open_record(header, body, len, type, content, out))) return;
    switch (type) {
      case type_application_data:
        key_updates_ = 0;
        if (body != plaintext + r.plaintext) std::memmove(plaintext + r.plaintext, body, content);
        r.plaintext += content;
        return;
      case type_alert:
        if (content != 2) {
          r.error = fail(alert_decode_error, SSL_R_BAD_LENGTH, out);
        } else if (body[1] == alert_close_notify) {
          peer_closed_ = r.closed = true;
        } else if (body[1] != alert_user_canceled) {  // every other alert is fatal (6.2)
          failed_ = true;
          r.error = ssl_error(SSL_AD_REASON_OFFSET + body[1]);
        }
        return;
      case type_handshake:
        r.error = handshake_message(body, content, out);
        return;
      default:
        r.error = fail(alert_unexpected_message, SSL_R_UNEXPECTED_RECORD, out);
    }
  };
  // The header's checks (5.1, 5.2); the body's length.
  auto check = [&](const std::uint8_t* header, std::size_t& len) {
    if (header[0] != type_application_data) {
      r.error = fail(alert_unexpected_message, SSL_R_BAD_RECORD_TYPE, out);
    } else if (header[1] != 3 || header[2] != 3) {
      r.error = fail(alert_decode_error, SSL_R_WRONG_VERSION_NUMBER, out);
    } else if ((len = body_length(header)) > max_ciphertext) {
      r.error = fail(alert_record_overflow, SSL_R_ENCRYPTED_LENGTH_TOO_LONG, out);
    }
    return !r.error;
  };
  if (failed_) {
    r.error = ssl_error(SSL_R_PROTOCOL_IS_SHUTDOWN);
    return r;
  }
  while (p < n && !r.error && !peer_closed_) {
    std::size_t len = 0;
    if (partial_.empty() && n - p >= header_len) {
      if (!check(in + p, len)) break;
      if (n - p >= header_len + len) {
        // A whole record: its body moves to where its plaintext goes, never past its own end
        // (the plaintext so far is at most max_record_plaintext more than the ciphertext read).
        std::uint8_t header[header_len];
        std::memcpy(header, in + p, header_len);
        std::uint8_t* body = plaintext + r.plaintext;
        std::memmove(body, in + p + header_len, len);
        p += header_len + len;
        deliver(header, body, len);
        continue;
      }
    }
    // Part of a record: kept until the rest comes, then decrypted where it is.
    if (partial_.size() < header_len) {
      const std::size_t take = std::min(header_len - partial_.size(), n - p);
      partial_.insert(partial_.end(), in + p, in + p + take);
      p += take;
      if (partial_.size() < header_len || !check(partial_.data(), len)) break;
      partial_.reserve(header_len + len);
    }
    len = body_length(partial_.data());
    const std::size_t take = std::min(header_len + len - partial_.size(), n - p);
    partial_.insert(partial_.end(), in + p, in + p + take);
    p += take;
    if (partial_.size() < header_len + len) break;
    deliver(partial_.data(), partial_.data() + header_len, len);
    OPENSSL_cleanse(partial_.data(), partial_.size());
    std::vector<std::uint8_t>().swap(partial_);  // an idle connection keeps no buffer
  }
  if (r.closed || peer_closed_) std::vector<std::uint8_t>().swap(partial_);
  return r;
}

}  // namespace uvws::net::detail
