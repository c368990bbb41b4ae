// ezioctl's subcommands. Each registers itself on the app; when it runs it
// stores its exit status in `exit_code`: 0 success, 1 failure (with one
// line on stderr saying why).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/client.hpp"

namespace ezio::cli {

struct Globals {
	std::vector<std::string> addresses;  // -l, repeatable for watch
	std::string token;                   // from --token-file
	int exit_code = 0;

	// The one daemon a command talks to.
	std::string const& address() const { return addresses.front(); }
	Client client() const { return Client(address(), token); }
};

void add_create_command(CLI::App& app, Globals& globals);
void add_companion_command(CLI::App& app, Globals& globals);
void add_control_commands(CLI::App& app, Globals& globals);
void add_verify_command(CLI::App& app, Globals& globals);
void add_watch_command(CLI::App& app, Globals& globals);

// Prints "ezioctl: <message>" to stderr and returns 1.
int fail(std::string const& message);

}  // namespace ezio::cli
