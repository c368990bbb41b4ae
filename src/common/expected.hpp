// A value or an error message, for operations whose failure is reported to
// a person (an RPC caller, a command line user) rather than handled by code.
//
// Errors are values: nothing below the edge of the program prints or exits;
// it returns an Expected and the edge (RPC service, CLI) turns it into a
// status or a message.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ezio {

// What kind of failure: the edge maps it to a gRPC status or an exit code.
enum class Errc {
	invalid_argument,     // the request itself is wrong (bad torrent, bad field)
	not_found,            // it names something that does not exist
	already_exists,       // it would duplicate something
	failed_precondition,  // the request is fine but the system is not ready for it
	permission_denied,    // the daemon's policy does not allow it
	io,                   // the system failed a read, write, sync, open or socket call
	internal,             // our fault, or a tool we ran failed
};

// Every error says what kind it is: there is no default, so an I/O failure
// is never reported as bad input.
struct Error {
	Error(std::string message_, Errc code_) : message(std::move(message_)), code(code_) {}

	std::string message;
	Errc code;
};

template <typename T>
class [[nodiscard]] Expected {
public:
	Expected(T value) : m_state(std::move(value)) {}
	Expected(Error error) : m_state(std::move(error)) {}

	bool has_value() const { return m_state.index() == 0; }
	explicit operator bool() const { return has_value(); }

	// REQUIRES: has_value()
	T& value() & { return std::get<0>(m_state); }
	T const& value() const& { return std::get<0>(m_state); }
	T&& value() && { return std::get<0>(std::move(m_state)); }
	T* operator->() { return &value(); }
	T const* operator->() const { return &value(); }
	T& operator*() & { return value(); }
	T const& operator*() const& { return value(); }

	// REQUIRES: !has_value()
	std::string const& error() const { return std::get<1>(m_state).message; }
	Errc error_code() const { return std::get<1>(m_state).code; }
	Error const& error_value() const { return std::get<1>(m_state); }

private:
	std::variant<T, Error> m_state;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Expected<Ok>;

}  // namespace ezio
