/*
 * sheer(1) as roff: the commands and their options from the command table, the profile
 * keys from the parser's own key table (spec_key_doc), and what only the manual says:
 * exit status, files, environment.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli/command.h"
#include "vmm/cli/man_page.h"
#include "vmm/lib/cli.h"
#include "vmm/machine/config.h"
#include "vmm/server/spec.h"

struct man_entry {
	const char *term;
	const char *text;
};

/* The program's own options; every command takes -h as well (dispatch.c). */
static const struct man_entry man_program_options[] = {
	{ "-h, --help", "Print the list of commands; after a command, its usage, description and options." },
	{ "-V, --version", "Print the version." },
};

static const struct man_entry man_exit_status[] = {
	{ "0", "done." },
	{ "1", "failed while doing the work: the guest crashed, the VMM failed, a BMC did not answer, a migration "
	       "was cancelled." },
	{ "2", "bad input or a refused request (a bad flag or profile, a name not running, not enough cores or "
	       "memory): nothing was started or changed." },
};

static const struct man_entry man_files[] = {
	{ "/run/sheer/", "The registry of running servers (mode 0700; SHEER_RUN_DIR moves it): NAME.sock, a "
			 "server's control socket (mode 0600); NAME.json, what it holds on the host (its "
			 "supervisor's pid, NUMA node and cores); NAME.console, the console of a server started "
			 "with sheer start (mode 0600); NAME.pid, that server's supervisor; NAME.switch, locked while sheer switch moves it; "
			 "devices/BDF.json, the claim of each passed-through device, naming its server and its host "
			 "driver." },
	{ "/etc/sheer/servers/NAME.ini", "The profile of the defined server NAME (in SHEER_CONFIG_DIR when set)." },
	{ "/etc/sheer/physical/NAME.ini", "The inventory: one physical server, its BMC URL and password file, boot "
					  "device, disk and NICs (in SHEER_CONFIG_DIR when set)." },
	{ "/etc/sheer/fleet.ini", "A fleet file, as sheer fleet check --config takes it (any path will do): the "
				  "controller ([fleet]), the policy, each [host NAME], [standby NAME] and [schedule "
				  "NAME]; relative paths in it are relative to its folder. README, \"Fleet file\", "
				  "documents every key." },
	{ "/etc/sheer/agent/", "The certificates of sheer agent as sheer-agent.service runs it: ca.pem (the CA "
			       "whose certificates the agent serves), cert.pem and key.pem (this host's)." },
	{ "/var/log/sheer/NAME.log", "Everything the console of a server started with sheer start (or received "
				     "with sheer receive --detach) printed, and sheer's own lines about it; NAME.log.1 "
				     "is the one before it (SHEER_LOG_DIR moves them)." },
	{ "/var/cache/sheer/kernels/", "Kernels unpacked for direct boot, at most 8, checked on every use "
				       "(SHEER_CACHE_DIR moves it; SHEER_KERNEL_CACHE=off turns it off)." },
	{ SERVER_FIRMWARE_DEFAULT, "The BIOS of boot = disk (Debian's SeaBIOS); firmware = FILE changes it." },
};

/* Every SHEER_* variable the program reads (tests/unit/cli_help.sh checks none is missing). */
static const struct man_entry man_environment[] = {
	{ "SHEER_RUN_DIR", "The registry's directory instead of /run/sheer. It must belong to the caller and be "
			   "writable by no one else." },
	{ "SHEER_CONFIG_DIR", "The configuration directory instead of /etc/sheer: servers/ and physical/ are in it." },
	{ "SHEER_LOG_DIR", "The consoles' logs instead of /var/log/sheer." },
	{ "SHEER_CACHE_DIR", "The kernel cache instead of /var/cache/sheer/kernels." },
	{ "SHEER_KERNEL_CACHE", "off: no kernel cache; each boot unpacks the kernel in memory." },
	{ "SHEER_VMM_USER", "The unprivileged user the VMM becomes when sheer runs as root (default sheer)." },
	{ "SHEER_TRACE_UNHANDLED", "N: report the first N guest port and MMIO accesses no device handles." },
	{ "SHEER_TEST_FORBIDDEN_SYSCALL", "Only in the test build (build/sheer-test-hooks): the VMM thread kind "
					  "(vcpu, console, control, main) that makes a forbidden system call, to test "
					  "the seccomp report." },
};

static const char man_description[] =
	"sheer turns one bare-metal host into several logical servers, each owning dedicated CPUs, memory and "
	"physical devices. CPU and memory come from Linux KVM; NICs and storage controllers are handed straight to "
	"the logical server through the IOMMU and VFIO, so the guest runs the same OS image, with its stock "
	"drivers, as the physical server. A server can be checkpointed, migrated live, and switched between "
	"logical and physical; physical servers are reached through their BMCs.\n\n"
	"Every error is one line on stderr, sheer: CONTEXT: PROBLEM. A bad command line says what is wrong and "
	"where its help is.";

static const char man_profile[] =
	"A profile is an INI file written by hand: one [server] section, one [device] section per passed-through "
	"PCI function (at most %d) and one [nic] section per virtio-net NIC (at most %d). key = value, with any "
	"whitespace around =; a value may be wrapped in double quotes. Comments are whole lines starting with # or "
	";. Booleans are yes/no, true/false, on/off, 1/0. Relative paths are relative to the profile's directory. "
	"Anything else is an error naming the file and line. The flags of sheer run set the same keys.";

/* Text with roff's special characters escaped, within one input line. */
static void roff_escape(FILE *out, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (i == 0 && (c == '.' || c == '\''))
			fputs("\\&", out);
		if (c == '\\')
			fputs("\\e", out);
		else if (c == '-')
			fputs("\\-", out);
		else
			fputc(c == '\n' ? ' ' : c, out);
	}
}

static void roff_text(FILE *out, const char *text, size_t len)
{
	roff_escape(out, text, len);
	fputc('\n', out);
}

static void roff_string(FILE *out, const char *text)
{
	roff_text(out, text, strlen(text));
}

static void roff_paragraphs(FILE *out, const char *text)
{
	for (;;) {
		const char *next = strstr(text, "\n\n");

		roff_text(out, text, next ? (size_t)(next - text) : strlen(text));
		if (!next)
			return;
		fputs(".PP\n", out);
		text = next + 2;
	}
}

/* A tagged paragraph: the term in bold, then its text. */
static void roff_entry(FILE *out, const char *term, const char *text)
{
	fputs(".TP\n\\fB", out);
	roff_escape(out, term, strlen(term));
	fputs("\\fR\n", out);
	roff_string(out, text);
}

static void roff_entries(FILE *out, const struct man_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		roff_entry(out, entries[i].term, entries[i].text);
}

static void man_synopsis_lines(FILE *out, const struct command *cmd, const char *path)
{
	char line[COMMAND_SYNOPSIS_MAX];

	for (unsigned int i = 0; command_synopsis(cmd, path, i, line, sizeof(line)) == 0; i++)
		roff_string(out, line);
}

/* Every command's usage, a command with subcommands through theirs. */
static void man_synopsis(FILE *out)
{
	char path[COMMAND_PATH_MAX];

	fputs(".SH SYNOPSIS\n.nf\n", out);
	for (const struct command *cmd = command_table(); cmd->name; cmd++) {
		if (!cmd->children || cmd->options)
			man_synopsis_lines(out, cmd, cmd->name);
		for (const struct command *child = cmd->children; child && child->name; child++) {
			snprintf(path, sizeof(path), "%s %s", cmd->name, child->name);
			man_synopsis_lines(out, child, path);
		}
	}
	roff_string(out, "sheer COMMAND --help");
	roff_string(out, "sheer --version");
	fputs(".fi\n", out);
}

static void man_options(FILE *out, const struct command *cmd)
{
	char term[128];

	for (const struct command_option *opt = cmd->options; opt && opt->name; opt++) {
		if (opt->flags & OPTION_HIDDEN)
			continue;
		snprintf(term, sizeof(term), "--%s%s%s", opt->name, opt->value ? " " : "", opt->value ? opt->value : "");
		roff_entry(out, term, opt->help);
	}
}

/* One subsection per command (and per subcommand): its synopsis, description and options. */
static void man_command(FILE *out, const struct command *cmd, const char *path)
{
	fputs(".SS ", out);
	roff_string(out, path);
	if (!cmd->children || cmd->options) {
		fputs(".nf\n", out);
		man_synopsis_lines(out, cmd, path);
		fputs(".fi\n.PP\n", out);
	}
	roff_paragraphs(out, cmd->description);
	man_options(out, cmd);
}

static void man_commands(FILE *out)
{
	char path[COMMAND_PATH_MAX];

	fputs(".SH COMMANDS\n", out);
	for (const struct command *cmd = command_table(); cmd->name; cmd++) {
		man_command(out, cmd, cmd->name);
		for (const struct command *child = cmd->children; child && child->name; child++) {
			snprintf(path, sizeof(path), "%s %s", cmd->name, child->name);
			man_command(out, child, path);
		}
	}
}

/* The keys, section by section, in the order of the parser's table. */
static void man_profile_keys(FILE *out)
{
	struct spec_key_doc doc;
	const char *section = "";
	char title[64], intro[sizeof(man_profile) + 16], text[512];

	fputs(".SH PROFILE\n", out);
	snprintf(intro, sizeof(intro), man_profile, SERVER_MAX_DEVICES, SERVER_MAX_NICS);
	roff_string(out, intro);
	for (size_t i = 0; spec_key_doc(i, &doc) == 0; i++) {
		if (strcmp(doc.section, section) != 0) {
			section = doc.section;
			snprintf(title, sizeof(title), "[%s]", section);
			fputs(".SS ", out);
			roff_string(out, title);
		}
		snprintf(text, sizeof(text), "%s Value: %s.", doc.meaning, doc.expected);
		roff_entry(out, doc.name, text);
	}
}

int man_page_print(FILE *out)
{
	/* Left-aligned and unhyphenated: option names and paths must read as typed. */
	fputs(".TH SHEER 1 \"\" \"sheer " SHEER_VERSION "\" \"User Commands\"\n.nh\n.ad l\n.SH NAME\n", out);
	roff_string(out, "sheer - partitioning hypervisor: logical servers with dedicated CPUs, memory and devices");
	man_synopsis(out);
	fputs(".SH DESCRIPTION\n", out);
	roff_paragraphs(out, man_description);
	fputs(".SH OPTIONS\n", out);
	roff_entries(out, man_program_options, sizeof(man_program_options) / sizeof(man_program_options[0]));
	man_commands(out);
	man_profile_keys(out);
	fputs(".SH \"EXIT STATUS\"\n", out);
	roff_entries(out, man_exit_status, sizeof(man_exit_status) / sizeof(man_exit_status[0]));
	fputs(".SH FILES\n", out);
	roff_entries(out, man_files, sizeof(man_files) / sizeof(man_files[0]));
	fputs(".SH ENVIRONMENT\n", out);
	roff_entries(out, man_environment, sizeof(man_environment) / sizeof(man_environment[0]));
	fputs(".SH \"SEE ALSO\"\n", out);
	roff_string(out, "README.md in sheer's source: set-up, device assignment, migration, security, benchmarks.");
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
