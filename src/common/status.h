#pragma once
// Status and StatusOr<T>: errors are values.
//
// Every fallible function in Recall returns a Status or a StatusOr<T>. The code
// tells the caller what to do next (see docs/errors.md):
//   kInvalidArgument     bad input from the caller; do not retry the same input.
//   kNotFound            the named thing does not exist (in the caller's practice).
//   kAlreadyExists       a create collided with an existing thing.
//   kPermissionDenied    the caller may not do this (role, practice, BAA).
//   kUnauthenticated     the caller is not who it claims.
//   kFailedPrecondition  the system is not in the state the call needs (no BAA,
//                        consent revoked, campaign not approved); do not retry
//                        until that state is fixed.
//   kResourceExhausted   a cap or a size limit was hit; retry later or smaller.
//   kUnavailable         a transient failure (timeout, 5xx, busy database); the
//                        caller may retry with backoff.
//   kDataLoss            unrecoverable corruption (a broken audit chain, a
//                        ciphertext that fails authentication).
//   kInternal            a broken invariant or an I/O failure.
//
// Messages never carry PHI: only opaque ids, counts, field names and line numbers.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace recall {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kUnauthenticated,
  kFailedPrecondition,
  kResourceExhausted,
  kUnavailable,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "FAILED_PRECONDITION: no BAA recorded for practice prc_..." ; "OK" when ok.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status OkStatus() { return Status(); }
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnauthenticatedError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);

bool IsInvalidArgument(const Status& s);
bool IsNotFound(const Status& s);
bool IsFailedPrecondition(const Status& s);

// StatusOr<T> holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : rep_(status) {  // NOLINT: implicit by design
    if (status.ok()) rep_ = Status(StatusCode::kInternal, "OK status given to StatusOr");
  }
  StatusOr(Status&& status) : rep_(std::move(status)) {  // NOLINT
    if (std::get<Status>(rep_).ok()) rep_ = Status(StatusCode::kInternal, "OK status given to StatusOr");
  }
  StatusOr(const T& value) : rep_(value) {}       // NOLINT
  StatusOr(T&& value) : rep_(std::move(value)) {}  // NOLINT
  template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Status> &&
             !std::is_same_v<std::decay_t<U>, StatusOr<T>> && !std::is_same_v<std::decay_t<U>, T>)
  StatusOr(U&& value) : rep_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(rep_); }
  Status status() const { return ok() ? Status() : std::get<Status>(rep_); }

  const T& value() const& { return std::get<T>(rep_); }
  T& value() & { return std::get<T>(rep_); }
  T&& value() && { return std::get<T>(std::move(rep_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> rep_;
};

}  // namespace recall

#define RECALL_CONCAT_INNER_(a, b) a##b
#define RECALL_CONCAT_(a, b) RECALL_CONCAT_INNER_(a, b)

// Returns early from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::recall::Status recall_status_ = (expr);        \
    if (!recall_status_.ok()) return recall_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, Foo()); declares x from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, rexpr) ASSIGN_OR_RETURN_IMPL_(RECALL_CONCAT_(recall_sor_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                           \
  if (!tmp.ok()) return tmp.status();           \
  lhs = std::move(tmp).value()
