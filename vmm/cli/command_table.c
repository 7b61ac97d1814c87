/*
 * Every subcommand of sheer, what it takes and what it does: the one place they are
 * written down. The dispatcher (dispatch.c) checks command lines against it; help.c,
 * man_page.c and completion.c print sheer help, CMD --help, sheer.1 and the bash
 * completion from it. A new subcommand, or a new option, is one entry here.
 */
#include "iommu/host_check.h"
#include "p2v/migrate/migrate.h"
#include "p2v/switch/switch.h"
#include "passthru/cli/commands.h"
#include "power/bmc/bmc.h"
#include "power/cli/commands.h"
#include "power/planner/power.h"
#include "vmm/cli/command.h"
#include "vmm/cli/commands.h"
#include "vmm/cli/help.h"
#include "vmm/lib/cli.h"
#include "vmm/machine/config.h"
#include "vmm/server/exporter.h"

#define STR(x) #x
#define NUM(x) STR(x)

#define JSON_OPTION(what) { "json", NULL, what, 0 }

/* A new server's placement, shared by run, restore and receive. */
#define NUMA_NODE_OPTION \
	{ "numa-node", "N", "bind the server's memory and cores to NUMA node N instead of letting placement choose.", 0 }
#define SHARED_CORES_OPTION \
	{ "shared-cores", NULL, "do not give each vCPU a host core of its own (profile: dedicated_cores = no).", 0 }
#define TLS_OPTION(who) \
	{ "tls", "DIR", "TLS 1.3 with " who ": DIR holds ca.pem, cert.pem and key.pem; needed for anything but loopback.", 0 }

static const struct command_option run_options[] = {
	{ "name", "NAME", "server name: letters, digits, '-', '_', '.', starting with a letter or digit, at most 63.", 0 },
	{ "cpus", "N", "number of vCPUs, 1 to " NUM(SERVER_MAX_CPUS) " (default 1).", 0 },
	{ "memory", "SIZE", "guest memory: a number with K, M, G or T (binary units), " SERVER_MEMORY_RULE
	  " (e.g. 512M).", 0 },
	{ "kernel", "FILE", "the Linux bzImage to boot.", 0 },
	{ "initrd", "FILE", "the initramfs.", 0 },
	{ "cmdline", "TEXT", "the kernel command line, at most 2047 bytes.", 0 },
	{ "boot", "kernel|disk", "boot the kernel directly (default), or through the firmware from a passed-through "
				 "disk (no --kernel, --initrd or --cmdline then).", 0 },
	{ "firmware", "FILE", "the BIOS image of --boot disk (default " SERVER_FIRMWARE_DEFAULT ").", 0 },
	NUMA_NODE_OPTION,
	SHARED_CORES_OPTION,
	{ "allow-unsafe-interrupts", NULL, "allow device assignment on a host without interrupt remapping "
					   "(unsafe: a device could forge interrupts into the host).", 0 },
	{ "device", "BDF", "pass this PCI function through to the server (repeatable; adds to the profile's).", 0 },
	{ 0 },
};

static const struct command_option timeout_60_options[] = {
	{ "timeout", "S", "wait at most S seconds for the server to stop (default 60); 0: press the button and "
	  "return at once.", 0 },
	{ 0 },
};

static const struct command_option timeout_10_options[] = {
	{ "timeout", "S", "wait at most S seconds for the server to stop (default 10); 0: do not wait.", 0 },
	{ 0 },
};

static const struct command_option status_options[] = {
	JSON_OPTION("print the server's status reply as JSON."),
	{ 0 },
};

static const struct command_option list_options[] = {
	{ "all", NULL, "also the defined servers that are stopped, with the columns DEVICES, NICS and AUTOSTART.", 0 },
	JSON_OPTION("an array of status objects."),
	{ 0 },
};

static const struct command_option define_options[] = {
	{ "replace", NULL, "replace the definition of a server of that name, if there is one.", 0 },
	{ 0 },
};

static const struct command_option start_options[] = {
	{ "autostart", NULL, "instead of NAME: every defined server with autostart = yes that is not running.", 0 },
	{ 0 },
};

static const struct command_option stop_options[] = {
	{ "timeout", "S", "wait at most S seconds for the server (or, with --all, all of them) to stop (default 60); "
	  "0: press the button and return at once.", 0 },
	{ "force", NULL, "power the guest off at once instead of pressing its power button.", 0 },
	{ "all", NULL, "instead of NAME: every running server, their power buttons pressed together.", 0 },
	{ 0 },
};

static const struct command_option console_options[] = {
	{ "read-only", NULL, "watch only: never take the keyboard.", 0 },
	{ 0 },
};

static const struct command_option exporter_options[] = {
	{ "listen", "HOST:PORT", "where to serve GET /metrics (default " EXPORTER_DEFAULT_LISTEN "; a numeric "
				 "address, [::1]:PORT for IPv6).", 0 },
	{ "once", NULL, "print one scrape on stdout and exit, instead of serving.", 0 },
	{ 0 },
};

static const char *const start_forms[] = { "NAME", "--autostart", NULL };
static const char *const stop_forms[] = { "NAME [--timeout S] [--force]", "--all [--timeout S]", NULL };

static const struct command_option checkpoint_options[] = {
	{ "leave-running", NULL, "resume the server once the file is written, instead of stopping it.", 0 },
	JSON_OPTION("print the summary (size, pages, time) as JSON."),
	{ 0 },
};

static const struct command_option restore_options[] = {
	{ "name", "NAME", "run it under another name (a second copy).", 0 },
	NUMA_NODE_OPTION,
	SHARED_CORES_OPTION,
	{ 0 },
};

static const struct command_option migrate_options[] = {
	{ "to", "ADDR", "where the target's 'sheer receive --listen' waits: unix:PATH or tcp:HOST:PORT.", OPTION_REQUIRED },
	{ "downtime-ms", "N", "the longest pause allowed for the last copy (default "
			      NUM(MIGRATE_DEFAULT_DOWNTIME_MS) " ms).", 0 },
	{ "bandwidth", "MIB_S", "send at most MIB_S MiB/s (default 0: as fast as the link goes).", 0 },
	{ "timeout", "S", "cancel, the server running on here, if pre-copy has not converged after S seconds "
			  "(default " NUM(MIGRATE_DEFAULT_TIMEOUT_S) ").", 0 },
	TLS_OPTION("the target"),
	JSON_OPTION("print the result (times, bytes, rounds, what the pause was made of) as JSON."),
	{ 0 },
};

static const struct command_option receive_options[] = {
	{ "listen", "ADDR", "where the source connects: unix:PATH or tcp:HOST:PORT.", OPTION_REQUIRED },
	{ "name", "NAME", "run the server under this name instead of the source's.", 0 },
	NUMA_NODE_OPTION,
	SHARED_CORES_OPTION,
	TLS_OPTION("the source"),
	{ "failover-pool", "BDF,...", "the NICs a failover pair may get here (default: any free one of the model).", 0 },
	{ "detach", NULL, "return once listening (needs --name); the server then runs in the background as with "
			  "sheer start (console, log, pid file).", 0 },
	{ 0 },
};

static const struct command_option json_report_options[] = {
	JSON_OPTION("print it as JSON."),
	{ 0 },
};

static const struct command host_children[] = {
	{ .name = "check", .summary = "check this host is ready for device assignment",
	  .description = "One line per check (kvm, iommu-firmware, iommu-enabled, interrupt-remapping, vfio, "
			 "vfio-iommu-type1, vfio-pci, hugepages, locked-memory, seccomp): ok, warn or fail, and for a "
			 "problem its fix. The checks are for the user running it: run it as the user who will run "
			 "the servers. Exit status 1 when something device assignment needs is missing.",
	  .options = json_report_options },
	{ 0 },
};

static const struct command_option attach_options[] = {
	{ "force", NULL, "assign the device even if the host seems to use it.", 0 },
	{ 0 },
};

static const struct command_option detach_options[] = {
	{ "timeout", "S", "wait at most S seconds (1 to 3600, default 30) for the guest to let go; "
			  "past it the guest keeps the device (exit 1).", 0 },
	{ 0 },
};

static const struct command device_children[] = {
	{ .name = "attach", .summary = "hand a host device to a running server", .args = "NAME BDF",
	  .description = "Claims the device for the server (the same checks as at start), binds it to vfio-pci and "
			 "plugs it into a free hot-pluggable slot of the guest (ACPI PCI hotplug, which Linux's "
			 "acpiphp handles). The device goes back to its host driver when the server ends.",
	  .options = attach_options },
	{ .name = "detach", .summary = "take a device back from a running server", .args = "NAME BDF",
	  .description = "Asks the guest to let go of the device; once its driver did and the guest ejected it, "
			 "the device goes back to its host driver.",
	  .options = detach_options },
	{ 0 },
};

static const struct command_option simulate_options[] = {
	{ "traces", "DIR", "one day's trace files (one per server, 288 CPU percentages) or one folder per day.",
	  OPTION_REQUIRED },
	{ "policy", "POLICY[,POLICY...]", "none, thr-mmt-0.8, iqr-mmt-1.5, lr-mmt-1.2 or sheer; several, "
					  "comma-separated, to compare them.", OPTION_REQUIRED },
	{ "hosts", "N", "hosts in the simulated fleet (default 800).", 0 },
	JSON_OPTION("one object per policy and day, then the totals."),
	{ "csv", "FILE", "write the per-interval series (active hosts, power, hosts at 100%) to FILE.", 0 },
	{ "plot", "FILE.svg", "draw active hosts and power over time, one line per policy.", 0 },
	{ "max-migrations", "N", "at most N migrations per interval.", 0 },
	{ "reserve-memory", NULL, "charge each server's memory all day, not only at start.", 0 },
	{ 0 },
};

static const struct command power_children[] = {
	{ .name = "simulate", .summary = "run consolidation policies over a fleet's CPU traces",
	  .description = "The standard dynamic-consolidation experiment (Beloglazov & Buyya, CloudSim's PlanetLab "
			 "workload): 800 hosts, 300 s intervals, 24 h a day. Prints per day and in total the energy "
			 "(kWh), SLATAH, PDM, SLAV, ESV, migrations, host shutdowns and wall time. Bad input (a missing "
			 "folder, a malformed line, an unknown policy) is one line naming the file and line, exit 2.",
	  .options = simulate_options },
	{ 0 },
};

static const struct command_option bmc_options[] = {
	{ "password-file", "FILE", "the BMC user's password, one line, in a file of yours with mode 600; required "
				   "with a URL, the inventory's otherwise.", 0 },
	{ "timeout-ms", "N", "wait this long per attempt (1 to " NUM(BMC_MAX_TIMEOUT_MS) ", default "
			     NUM(BMC_DEFAULT_TIMEOUT_MS) ").", 0 },
	{ "retries", "N", "attempts after one that timed out (0 to " NUM(BMC_MAX_RETRIES) ", default "
			  NUM(BMC_DEFAULT_RETRIES) ").", 0 },
	{ "ca-file", "FILE", "Redfish: the CA of the BMC's certificate (default: the system's CAs).", 0 },
	{ "persistent", NULL, "bootdev: for every boot, not only the next one.", 0 },
	{ 0 },
};

static const char *const bmc_forms[] = {
	"TARGET power status|on|off|soft|cycle [OPTIONS]",
	"TARGET bootdev disk|pxe [--persistent] [OPTIONS]",
	NULL,
};

static const struct command_option switch_options[] = {
	{ "to", "physical|logical", "the direction.", OPTION_REQUIRED },
	{ "timeout", "S", "for the source to shut down and the target to come up (1 to 3600, default "
			  NUM(SWITCH_DEFAULT_TIMEOUT_S) ").", 0 },
	JSON_OPTION("print the record of the steps, each with its start and length."),
	{ "dry-run", NULL, "check and print the plan, change nothing.", 0 },
	{ 0 },
};

static const char *const switch_forms[] = {
	"NAME --to physical SERVER [OPTIONS]",
	"SERVER --to logical PROFILE [OPTIONS]",
	NULL,
};

static const struct command physical_children[] = {
	{ .name = "list", .summary = "list the physical servers with the power state their BMC reports",
	  .description = "One line per server of the inventory with the power state its BMC reports now; an entry "
			 "or a BMC that fails shows unknown and why. The list fails only if the inventory cannot be "
			 "read.",
	  .options = json_report_options },
	{ 0 },
};

static const struct command_option fleet_check_options[] = {
	{ "config", "FILE", "the fleet file, FLEET.ini (see FILES in sheer(1)).", OPTION_REQUIRED },
	{ "at", "YYYY-MM-DD HH:MM", "the policy in force at this local time instead of now (quoted: --at "
				    "'2025-03-08 21:00').", 0 },
	JSON_OPTION("print the summary as one JSON object."),
	{ 0 },
};

static const struct command_option fleet_serve_options[] = {
	{ "config", "FILE", "the fleet file, FLEET.ini.", OPTION_REQUIRED },
	{ 0 },
};

static const struct command_option fleet_config_options[] = {
	{ "config", "FILE", "the fleet file, FLEET.ini (default /etc/sheer/fleet.ini).", 0 },
	{ 0 },
};

static const struct command_option fleet_ask_options[] = {
	{ "config", "FILE", "the fleet file, FLEET.ini (default /etc/sheer/fleet.ini): its listen names the controller.",
	  0 },
	JSON_OPTION("print the controller's answer as JSON."),
	{ 0 },
};

static const struct command_option fleet_test_wake_options[] = {
	{ "config", "FILE", "the fleet file, FLEET.ini (default /etc/sheer/fleet.ini).", 0 },
	{ "timeout", "S", "wait at most S seconds for the outcome (default 600).", 0 },
	{ 0 },
};

/* The fleet file's check, and the controller with the questions it answers. */
static const struct command fleet_children[] = {
	{ .name = "check", .summary = "check a fleet file and show the policy in force now or at a given time",
	  .description = "Reads the fleet file as the controller would: every section and key, the files it names "
			 "(the TLS folder's ca.pem, cert.pem and key.pem, each BMC's password file, each standby "
			 "server's inventory entry), and schedules that are empty, out of range, change nothing or "
			 "disagree with another at the same time. Prints the hosts (BMCs without secrets), the "
			 "standby servers, the schedules, the policy in force now or at --at with the schedules "
			 "that make it, and when that next changes. A bad file is one line naming its file and "
			 "line, exit 2.",
	  .options = fleet_check_options },
	{ .name = "serve", .summary = "run the fleet controller (sheer-fleet.service)",
	  .description = "Checks the fleet file as fleet check does (a bad one: exit 2, one line), opens the fleet "
			 "store and serves until SIGINT or SIGTERM: campaigns for leadership every second (a controller "
			 "that does not lead serves reads), settles the actions an earlier leader left unfinished, "
			 "keeps each host's heartbeat, fences a silent host through its BMC and restarts its servers "
			 "elsewhere, and each interval plans with the policy in force and carries the plan out "
			 "(migrations, hosts put to sleep and woken through their BMCs). Its endpoint (listen, loopback "
			 "only) answers the other fleet subcommands; its metrics are on metrics. ha = switch is "
			 "refused (not built yet).",
	  .options = fleet_serve_options },
	{ .name = "status", .summary = "ask the controller: leader, policy in force, hosts, pending actions, alerts",
	  .description = "Asks the controller named by the fleet file's listen. Exit 1 when none answers.",
	  .options = fleet_ask_options },
	{ .name = "hosts", .summary = "ask the controller: each host's state, power, trust, heartbeat, servers",
	  .description = "Asks the controller named by the fleet file's listen. Exit 1 when none answers.",
	  .options = fleet_ask_options },
	{ .name = "plan", .summary = "ask the controller: the last plan and what was done of it",
	  .description = "Asks the controller named by the fleet file's listen. Exit 1 when none answers.",
	  .options = fleet_ask_options },
	{ .name = "history", .summary = "ask the controller: the action log, newest first, with reasons and results",
	  .description = "Asks the controller named by the fleet file's listen. Exit 1 when none answers.",
	  .options = fleet_ask_options },
	{ .name = "test-wake", .summary = "have the controller power an empty host off and on through its BMC",
	  .args = "HOST",
	  .description = "The leading controller powers HOST off (it must run no server) and on again and waits for "
			 "its agent: success makes it trusted to sleep (exit 0); a host that does not come back is "
			 "marked wake_failed and never put to sleep until clear-wake (exit 1). A host that cannot be "
			 "tested now (no BMC, servers on it, off): exit 2.",
	  .options = fleet_test_wake_options },
	{ .name = "clear-wake", .summary = "the operator's word that a host that failed to wake wakes again",
	  .args = "HOST",
	  .description = "Clears HOST's wake failure in the fleet store (no controller needed); the controller may "
			 "then test its wake again and put it to sleep once it is trusted.",
	  .options = fleet_config_options },
	{ 0 },
};

static const struct command_option agent_options[] = {
	{ "listen", "HOST:PORT", "where to listen: a numeric address of this host and a port (0.0.0.0:9735, [::]:9735); "
				 "a migration the agent receives listens on the same address.", OPTION_REQUIRED },
	{ "tls", "DIR", "ca.pem, cert.pem and key.pem: only peers with a certificate from this CA are served, and "
			"migrations go with these certificates too.", OPTION_REQUIRED },
	{ 0 },
};

static const struct command_option agent_call_options[] = {
	{ "tls", "DIR", "this host's certificate and key, and the CA the agent's certificate must come from.",
	  OPTION_REQUIRED },
	{ "timeout", "S", "wait at most S seconds for the answer (default: the op's own bound and 15 s more).", 0 },
	{ 0 },
};

static const struct command agent_children[] = {
	{ .name = "call", .summary = "send one request to a host's agent and print its answer",
	  .args = "ADDR ping|host|definition|define|start|stop|receive|migrate|undefine [JSON]",
	  .description = "Connects to the agent at ADDR (HOST:PORT, [IPv6]:PORT) with the certificates of --tls, sends "
			 "the op with the fields of JSON (an object, like '{\"name\":\"web01\"}'), checks the answer "
			 "and prints it. Exit 0 when the op was done; 2 when the request was refused, here (a bad "
			 "field) or there (nothing changed); 1 when the op failed or the agent could not be reached "
			 "(refused connection, TLS, no answer in time, a bad answer), with one line saying which.",
	  .options = agent_call_options },
	{ 0 },
};

static const struct command_option help_options[] = {
	/* The build writes the man page with it (Makefile, build/sheer.1). */
	{ "man", NULL, "print the man page (roff)", OPTION_HIDDEN },
	/* Tests walk every subcommand with it. */
	{ "commands", NULL, "print every command, one per line", OPTION_HIDDEN },
	/* The bash completion (vmm/cli/sheer.bash) asks with it. */
	{ "complete", "WORDS", "print the completions of the last word", OPTION_HIDDEN | OPTION_REST },
	{ 0 },
};

static const struct command commands[] = {
	{ .name = "help", .run = cmd_help, .summary = "show the commands, or one command's options",
	  .args = "[COMMAND] [SUBCOMMAND]",
	  .description = "Without a command, the list of commands; with one, what sheer COMMAND --help prints. "
			 "The same text is in the man page, sheer(1).",
	  .options = help_options },
	{ .name = "version", .run = cmd_version, .summary = "print the version",
	  .description = "Prints \"sheer VERSION\"; so do sheer --version and sheer -V." },
	{ .name = "run", .run = cmd_run, .summary = "run a logical server in the foreground, from a profile and/or flags",
	  .args = "[PROFILE]",
	  .description = "Starts one logical server and stays in the foreground with the guest's serial console on "
			 "stdin/stdout until the guest stops. The profile (see PROFILE in sheer(1)) is read first, "
			 "then each flag is applied on top, in order.\n\n"
			 "Before starting anything it checks the profile and flags, the kernel and initrd files, that "
			 "the name is free, and that the host has the cores, NUMA node and memory asked; a refusal is "
			 "exit 2 with one line. Ctrl-C (SIGINT) presses the guest's power button and a second one powers "
			 "it off. Exit 0 when the guest powered off (itself, through sheer shutdown or "
			 "poweroff, or SIGTERM/SIGHUP/SIGQUIT to sheer run), asked to reboot (sheer does not "
			 "reboot servers) or was checkpointed or migrated away; 1 when the guest crashed or the VMM "
			 "failed. However it ends, its control socket and registry entry are removed and its devices "
			 "are back on their host drivers.",
	  .options = run_options },
	{ .name = "define", .run = cmd_define, .summary = "keep a profile as a defined server",
	  .args = "PROFILE",
	  .description = "Checks PROFILE with the refusals of sheer run (exit 2, one line) and keeps it as "
			 "CONFIG/servers/NAME.ini (CONFIG: /etc/sheer or $SHEER_CONFIG_DIR), its relative file paths "
			 "made absolute. A server already defined is replaced only with --replace.",
	  .options = define_options },
	{ .name = "undefine", .run = cmd_undefine, .summary = "forget a defined server that is stopped",
	  .args = "NAME",
	  .description = "Removes NAME's definition; refused (exit 2) while NAME runs." },
	{ .name = "edit", .run = cmd_edit, .summary = "change a defined server's profile, checked before it is kept",
	  .args = "NAME",
	  .description = "Opens a copy of NAME's definition in $VISUAL, $EDITOR or vi. The copy replaces the "
			 "definition only if it passes the checks of sheer run and keeps the name; otherwise the "
			 "definition stays as it was (exit 2; on a terminal, another edit is offered). The change "
			 "applies from the next start." },
	{ .name = "start", .run = cmd_start, .summary = "start a defined server in the background",
	  .args = "[NAME]", .forms = start_forms,
	  .description = "Starts NAME from its definition in the background and returns once its guest runs "
			 "(exit 0), or with the refusal and exit status of sheer run. Its console is kept: sheer "
			 "console NAME attaches, and everything goes to /var/log/sheer/NAME.log ($SHEER_LOG_DIR), "
			 "rotated at 8 MiB.",
	  .options = start_options },
	{ .name = "stop", .run = cmd_stop, .summary = "press a server's power button and wait; --force powers it off",
	  .args = "[NAME]", .forms = stop_forms,
	  .description = "sheer shutdown NAME, or with --force sheer poweroff NAME. With --all, every running "
			 "server's power button is pressed, then all are waited for together; exit 1 if one is still "
			 "running after the timeout.",
	  .options = stop_options },
	{ .name = "console", .run = cmd_console, .summary = "attach to the console of a server started with sheer start",
	  .args = "NAME",
	  .description = "Prints what the console kept (the last 256 KiB), then what the guest prints; keys go to "
			 "the guest's serial port if this viewer has the keyboard (the first to ask; the others are "
			 "read-only). Ctrl-] detaches; the server keeps running.",
	  .options = console_options },
	{ .name = "status", .run = cmd_status, .summary = "show a running server", .args = "NAME",
	  .description = "State, pid, vCPUs and their host CPUs, memory, NUMA node, uptime, devices and NICs of a "
			 "running server. A name that is not running is exit 2.",
	  .options = status_options },
	{ .name = "shutdown", .run = cmd_shutdown, .summary = "press a server's power button and wait for it to stop",
	  .args = "NAME",
	  .description = "Presses the ACPI power button and waits for sheer run to exit: exit 0 if the server "
			 "stopped, 1 if it is still running after the timeout. With --timeout 0 it presses the button "
			 "and returns at once, exit 0: whether the guest heeds it is for sheer status to tell.",
	  .options = timeout_60_options },
	{ .name = "poweroff", .run = cmd_poweroff, .summary = "stop a server at once", .args = "NAME",
	  .description = "Powers the guest off at once, without asking its OS, and waits for sheer run to exit.",
	  .options = timeout_10_options },
	{ .name = "pause", .run = cmd_pause, .summary = "pause a server's whole machine", .args = "NAME",
	  .description = "Stops the vCPUs, the ACPI PM timer, console input and every passed-through device's bus "
			 "mastering; the guest's clock does not jump by the length of the pause. A server paused "
			 "already is refused: NAME: already paused (exit 2)." },
	{ .name = "resume", .run = cmd_resume, .summary = "resume a paused server", .args = "NAME",
	  .description = "Restarts a machine stopped by sheer pause. A server that is not paused is refused: "
			 "NAME: not paused (exit 2)." },
	{ .name = "list", .run = cmd_list, .summary = "list the running servers (and with --all the defined ones)",
	  .description = "One line per running server; stale entries are cleaned up, not listed. With --all, the "
			 "defined servers that are stopped too (state stopped), with their CPUs, memory, devices, NICs "
			 "and autostart. A server whose "
			 "socket is there but that does not answer is named on stderr and list exits 1.",
	  .options = list_options },
	{ .name = "exporter", .run = cmd_exporter, .summary = "serve Prometheus metrics of every server on this host",
	  .description = "Serves GET /metrics in the Prometheus text format until SIGINT or SIGTERM: for each "
			 "running server what its control socket's GET /v1/metrics gives, plus its vCPUs' host CPU "
			 "time (sheer_vcpu_seconds_total, from /proc/PID/task/TID/schedstat), and sheer_up 0 for "
			 "each defined server that is stopped. Run it as the user that runs the servers (root).",
	  .options = exporter_options },
	{ .name = "checkpoint", .run = cmd_checkpoint, .summary = "save a server's whole state to a file and stop it",
	  .args = "NAME FILE",
	  .description = "Pauses the server, writes its whole state (registers, devices, interrupt controllers, "
			 "timers, memory) to FILE and stops it; sheer run then exits 0. The command exits 0 only "
			 "once the file is whole on disk; if anything fails before, the server resumes. A server "
			 "holding a passed-through device is refused (exit 2).",
	  .options = checkpoint_options },
	{ .name = "restore", .run = cmd_restore, .summary = "run a server from a checkpoint, in the foreground",
	  .args = "FILE",
	  .description = "Brings the server back where it stopped, exactly as sheer run runs one: placed again on "
			 "this host, registered, console on stdin/stdout, the same exit status. A truncated or "
			 "corrupted file, or a CPU the guest cannot keep, is refused with exit 2.",
	  .options = restore_options },
	{ .name = "migrate", .run = cmd_migrate, .summary = "move a running server to another host while it runs",
	  .args = "NAME",
	  .description = "Sends the server's memory in rounds while it runs, then pauses it for the last pages and "
			 "its machine state, and the target resumes it. Plain TCP only to loopback addresses; "
			 "anything else needs --tls on both ends. Before the switch-over any failure leaves the server "
			 "running here; after it, it never resumes here. Exit 2 when refused with the source "
			 "untouched, 1 when the migration failed or was cancelled.",
	  .options = migrate_options },
	{ .name = "receive", .run = cmd_receive, .summary = "take a migrating server and run it in the foreground",
	  .description = "Waits for one incoming server on ADDR, then runs it exactly as sheer run does: console "
			 "on stdin/stdout, registry entry, control socket, the same exit status.\n\n"
			 "With --detach it returns (exit 0) once it listens, and the server runs in the background "
			 "exactly as one started with sheer start: sheer console NAME, /var/log/sheer/NAME.log "
			 "(where a failed receive says why), /run/sheer/NAME.pid. A detached receive that no source "
			 "reaches within 10 minutes gives up.",
	  .options = receive_options },
	{ .name = "host", .run = cmd_host, .summary = "check this host is ready for device assignment",
	  .description = "Questions about this host.", .children = host_children },
	{ .name = "devices", .run = cmd_devices, .summary = "list the host's PCI devices and whether each can be assigned",
	  .description = "One line per PCI function: its kind, driver, IOMMU group, whether it can be assigned, its "
			 "NUMA node and CPUs, SR-IOV, and the server holding it; for a group that cannot be "
			 "assigned, which member the host holds.",
	  .options = json_report_options },
	{ .name = "device", .run = cmd_device, .summary = "hot-plug a host device into a running server, or take it back",
	  .description = "Hot-plugging of passed-through devices. Refused with exit 2: a device the server does not "
			 "hold (detach), one held by a server already, a bad address, a server not running.",
	  .children = device_children },
	{ .name = "release", .run = cmd_release, .summary = "give back a device a killed server left behind",
	  .args = "BDF",
	  .description = "Returns a device left on vfio-pci by a killed server to its host driver; refused (exit 2) "
			 "while its holder still runs. The next sheer run does the same for every stale claim." },
	{ .name = "power", .run = cmd_power, .summary = "simulate consolidation policies on traces",
	  .description = "The consolidation planner's policies, measured on CPU traces before they act on real hosts.",
	  .children = power_children },
	{ .name = "bmc", .run = cmd_bmc, .summary = "a physical server's BMC: power and boot device",
	  .args = "TARGET power|bootdev status|on|off|soft|cycle|disk|pxe", .forms = bmc_forms,
	  .description = "Talks to one BMC over IPMI 2.0 (RMCP+) or Redfish (HTTPS, certificate always verified). "
			 "TARGET is a server of the inventory (sheer physical list), or ipmi://USER@HOST[:PORT] or "
			 "redfish://USER@HOST[:PORT]/SYSTEM-ID. power status prints on or off; soft asks the OS to "
			 "shut down; cycle is a power cycle (Redfish: ForceRestart); bootdev sets the boot device of "
			 "the next boot. Exit 2 for bad input or credentials or a system the BMC refuses (nothing "
			 "changed), 1 when the BMC failed or never answered.",
	  .options = bmc_options },
	{ .name = "switch", .run = cmd_switch, .summary = "move a server between logical and physical",
	  .args = "NAME|SERVER SERVER|PROFILE", .forms = switch_forms,
	  .description = "To physical: the logical server NAME (started with sheer run PROFILE) is shut down, the "
			 "physical SERVER's BMC must read back off, then it boots the same disk. To logical: the "
			 "physical SERVER is shut down through its BMC, then sheer run PROFILE starts and the "
			 "command stays with it as sheer run does. The target starts only once the source is "
			 "confirmed off; a target that does not come up is powered off and the source started again "
			 "(exit 1). Refused before anything changes: exit 2.",
	  .options = switch_options },
	{ .name = "agent", .run = cmd_agent, .summary = "serve the fleet controller on this host, over mutual TLS",
	  .description = "Listens on HOST:PORT for TLS 1.3 connections from peers holding a certificate of the CA in "
			 "DIR (the same certificates as migration's --tls); any other peer is refused at the "
			 "handshake and logged. Each connection carries JSON requests, one per line, each answered on "
			 "one line: ping, host (CPUs, memory, every server with its vCPU time, free devices), "
			 "definition, define, start, stop, receive, migrate and undefine, the last six run as the sheer "
			 "commands of those names. Runs until SIGINT or SIGTERM (sheer-agent.service). Missing or "
			 "unreadable certificates or a bad address: exit 2; a port in use: exit 1.",
	  .options = agent_options, .children = agent_children },
	{ .name = "physical", .run = cmd_physical, .summary = "the inventory of physical servers and their power",
	  .description = "The physical servers of the inventory, one INI file per server in "
			 "/etc/sheer/physical/NAME.ini (see FILES in sheer(1)).",
	  .children = physical_children },
	{ .name = "fleet", .run = cmd_fleet, .summary = "the fleet manager: hosts, policy and schedules",
	  .description = "A fleet of hosts run by one controller, described by a fleet file (FLEET.ini): its hosts "
			 "and their BMCs, the standby servers, the consolidation policy and the schedules that "
			 "change it.",
	  .children = fleet_children },
	{ 0 },
};

const struct command *command_table(void)
{
	return commands;
}
