// ezioctl: create torrents and drive ezio daemons from a shell.
#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "common/version.hpp"

int main(int argc, char** argv)
{
	ezio::cli::Globals globals;
	CLI::App app{"ezioctl: create torrents for EZIO and control ezio daemons over their gRPC API.", "ezioctl"};
	app.set_version_flag("--version", std::string("ezioctl ") + ezio::version());
	app.add_option("-l,--listen", globals.address, "The daemon's gRPC address (ADDR:PORT or unix:PATH)")
		->default_str(globals.address);
	app.require_subcommand(1);
	ezio::cli::add_create_command(app, globals);
	ezio::cli::add_control_commands(app, globals);
	try {
		app.parse(argc, argv);
	} catch (CLI::ParseError const& e) {
		return app.exit(e) == 0 ? 0 : 2;
	}
	return globals.exit_code;
}
