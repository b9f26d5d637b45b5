// webhook output — request signing and delivery ids.
//
// Standard Webhooks 1.0.0 (standard-webhooks/standard-webhooks,
// spec/standard-webhooks.md, "Signature scheme"):
//   webhook-id:        unique per message, the same on every retry (an
//                      idempotency key); must not contain '.'
//   webhook-timestamp: integer Unix seconds of this attempt
//   webhook-signature: `v1,<base64(HMAC-SHA256(secret, id + "." + ts + "." + body))>`
// The secret is written `whsec_<base64>`; the HMAC key is the base64-decoded
// part (a secret without the prefix is decoded the same way).
// GitHub (docs "Validating webhook deliveries"): X-Hub-Signature-256:
// `sha256=<hex(HMAC-SHA256(secret bytes as written, body))>`.
//
// Secrets live only in Signer; nothing here logs or formats them.
// Threading: Signer is immutable after construction; pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace routerpulse::webhook {

std::string base64_encode(std::string_view bytes);
/// Strict RFC 4648 §4 decoding (padding optional); nullopt on bad input.
std::optional<std::string> base64_decode(std::string_view text);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string sha256(std::string_view data);
std::string to_hex(std::string_view bytes);

/// Decodes a Standard Webhooks secret (`whsec_…`). nullopt (and `error`) when
/// the base64 part is invalid or shorter than 16 bytes (the spec asks for
/// 24–64 random bytes).
std::optional<std::string> decode_standard_secret(std::string_view secret, std::string& error);

/// A delivery id: `msg_` + 32 hex digits of SHA-256(`source`), so the same
/// batch always gets the same id (retries) and different batches different ids.
std::string message_id(std::string_view source);

/// The `v1,<base64>` signature of one message.
std::string standard_signature(std::string_view key, std::string_view id, int64_t timestamp, std::string_view body);
/// `sha256=<hex>` for X-Hub-Signature-256.
std::string github_signature(std::string_view secret, std::string_view body);

}  // namespace routerpulse::webhook
