/* The subcommands for logical servers: `run` starts one, the others talk to it. */
#ifndef SHEER_COMMANDS_H
#define SHEER_COMMANDS_H

int cmd_run(int argc, char **argv);		/* vmm/run.c */
int cmd_status(int argc, char **argv);		/* vmm/manage.c */
int cmd_shutdown(int argc, char **argv);
int cmd_poweroff(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_list(int argc, char **argv);

#endif
