/* The subcommands for logical servers: `run` starts one, the others talk to it. */
#ifndef SHEER_VMM_CLI_COMMANDS_H
#define SHEER_VMM_CLI_COMMANDS_H

int cmd_run(int argc, char **argv);		/* vmm/cli/run.c */
int cmd_status(int argc, char **argv);		/* vmm/cli/manage.c */
int cmd_shutdown(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);	/* vmm/cli/checkpoint.c */
int cmd_restore(int argc, char **argv);		/* vmm/cli/restore.c */
int cmd_migrate(int argc, char **argv);		/* vmm/cli/migrate.c */
int cmd_receive(int argc, char **argv);		/* vmm/cli/receive.c */
int cmd_switch(int argc, char **argv);		/* vmm/cli/switch_cmd.c */
int cmd_device(int argc, char **argv);		/* vmm/cli/device_cmd.c */
int cmd_define(int argc, char **argv);		/* vmm/cli/define_cmd.c */
int cmd_undefine(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_start(int argc, char **argv);		/* vmm/cli/start_cmd.c */
int cmd_stop(int argc, char **argv);
int cmd_console(int argc, char **argv);		/* vmm/cli/console_cmd.c */
int cmd_exporter(int argc, char **argv);	/* vmm/cli/exporter_cmd.c */

#endif
