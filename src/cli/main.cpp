// ezioctl: create torrents and drive ezio daemons from a shell.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "common/token.hpp"
#include "common/version.hpp"

int main(int argc, char** argv)
{
	constexpr char const* default_address = "127.0.0.1:50051";
	ezio::cli::Globals globals;
	CLI::App app{"ezioctl: create torrents for EZIO and control ezio daemons over their gRPC API.", "ezioctl"};
	app.set_version_flag("--version", std::string("ezioctl ") + ezio::version());
	app.add_option("-l,--listen", globals.addresses,
		"The daemon's gRPC address (ADDR:PORT or unix:PATH); watch takes several")
		->default_str(default_address);
	std::string token_file;
	app.add_option("--token-file", token_file, "File with the daemon's API token (its --auth-token-file)")
		->envname("EZIO_TOKEN_FILE");
	app.require_subcommand(1);
	ezio::cli::add_create_command(app, globals);
	ezio::cli::add_companion_command(app, globals);
	ezio::cli::add_control_commands(app, globals);
	ezio::cli::add_verify_command(app, globals);
	ezio::cli::add_watch_command(app, globals);
	// Runs after parsing, before any subcommand's callback.
	app.parse_complete_callback([&] {
		if (globals.addresses.empty()) globals.addresses.push_back(default_address);
		if (!token_file.empty()) {
			auto token = ezio::read_token_file(token_file);
			if (!token) throw CLI::ValidationError("--token-file", token.error());
			globals.token = std::move(token.value());
		}
		auto const* sub = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
		if (globals.addresses.size() > 1 && sub != nullptr && sub->get_name() != "watch")
			throw CLI::ValidationError("-l", "only 'watch' takes more than one daemon address");
	});
	try {
		app.parse(argc, argv);
	} catch (CLI::ParseError const& e) {
		return app.exit(e) == 0 ? 0 : 2;
	}
	return globals.exit_code;
}
