#pragma once
// X-Twilio-Signature: how a Twilio-compatible provider signs the webhooks it
// sends (status callbacks, inbound messages), and how Recall checks them.
//
// The signature is base64(HMAC-SHA1(auth_token, data)) where `data` is the full
// URL the provider requested (scheme, host, port as configured, path and query
// string exactly as sent) followed, for a form-encoded POST, by every decoded
// parameter as key immediately followed by value, sorted by key (byte order;
// equal keys by value). A GET signs the URL alone (pass no params).
//
// HMAC-SHA1 is what the provider's contract specifies; it is not in
// crypto/crypto.h (which is SHA-256 only) and is kept local to this folder.
//
// Pure functions, thread-safe, no I/O. Nothing here logs; the token never
// appears in any output other than through the MAC.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace recall::channels {

// Decoded form parameters in arrival order; keys may repeat.
using FormParams = std::vector<std::pair<std::string, std::string>>;

// The header value a provider would send for a request to `full_url` with
// `post_params` (empty for a GET), e.g. "GvWf1cFY/Q7PnoempGyD5oXAezc=".
std::string TwilioSignature(std::string_view auth_token, std::string_view full_url, const FormParams& post_params);

// True when `header_value` is exactly TwilioSignature(auth_token, url, params).
// The comparison is constant-time in the header's content. An empty token or
// header is always false.
bool ValidateTwilioSignature(std::string_view auth_token, std::string_view url, const FormParams& params,
                             std::string_view header_value);

}  // namespace recall::channels
