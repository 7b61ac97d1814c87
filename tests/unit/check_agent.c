/*
 * The host agent's protocol (power/agent): what a request may say and how
 * each is refused, the fixed command line each op becomes, and what a
 * client accepts of an answer (an agent is hostile input to it).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/agent/agent_command.h"
#include "power/agent/agent_exec.h"
#include "power/agent/agent_request.h"
#include "power/agent/agent_response.h"

static struct agent_request req;
static char err[512];

static int parse(const char *line)
{
	err[0] = '\0';
	return agent_request_parse(line, strlen(line), &req, err, sizeof(err));
}

/* The request is refused, and the reason says why. */
static void refused(const char *line, const char *why)
{
	ck_assert_msg(parse(line) == -EINVAL, "accepted: %s", line);
	ck_assert_msg(strstr(err, why), "'%s': wanted '%s' in '%s'", line, why, err);
}

START_TEST(each_op_takes_its_fields_and_no_others)
{
	ck_assert_int_eq(parse("{\"op\":\"ping\"}"), 0);
	ck_assert_int_eq(req.op, AGENT_PING);
	ck_assert_int_eq(parse("{\"op\":\"host\"}"), 0);
	ck_assert_int_eq(parse("{\"op\":\"start\",\"name\":\"web01\"}"), 0);
	ck_assert_str_eq(req.name, "web01");
	refused("{\"op\":\"ping\",\"name\":\"web01\"}", "ping takes no field 'name'");
	refused("{\"op\":\"start\",\"name\":\"web01\",\"force\":true}", "start takes no field 'force'");
	refused("{\"op\":\"start\"}", "start needs the field 'name'");
	refused("{\"op\":\"migrate\",\"name\":\"web01\",\"port\":7000}", "migrate needs the field 'to'");
	refused("{\"op\":\"receive\",\"name\":\"web01\"}", "receive needs the field 'port'");
	refused("{\"op\":\"stop\",\"name\":\"web01\",\"timout\":5}", "stop takes no field 'timout'");
}
END_TEST

START_TEST(optional_fields_have_their_defaults)
{
	ck_assert_int_eq(parse("{\"op\":\"stop\",\"name\":\"web01\"}"), 0);
	ck_assert_uint_eq(req.timeout_s, AGENT_STOP_TIMEOUT_DEFAULT_S);
	ck_assert(!req.force);
	ck_assert_int_eq(parse("{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"host2\",\"port\":7000}"), 0);
	ck_assert_uint_eq(req.deadline_s, AGENT_MIGRATE_DEADLINE_DEFAULT_S);
	ck_assert_int_eq(parse("{\"op\":\"stop\",\"name\":\"web01\",\"timeout\":0,\"force\":true}"), 0);
	ck_assert_uint_eq(req.timeout_s, 0);
	ck_assert(req.force);
}
END_TEST

START_TEST(names_ports_hosts_and_numbers_are_checked)
{
	char long_name[128];

	refused("{\"op\":\"start\",\"name\":\"../etc/passwd\"}", "name: not a server name");
	refused("{\"op\":\"start\",\"name\":\"\"}", "name: not a server name");
	refused("{\"op\":\"start\",\"name\":\"-rf\"}", "name: not a server name");
	refused("{\"op\":\"start\",\"name\":7}", "name: not a server name");
	snprintf(long_name, sizeof(long_name), "{\"op\":\"start\",\"name\":\"%064d\"}", 1);
	refused(long_name, "name: not a server name");
	refused("{\"op\":\"receive\",\"name\":\"a\",\"port\":0}", "port: a whole number from 1 to 65535");
	refused("{\"op\":\"receive\",\"name\":\"a\",\"port\":65536}", "port: a whole number from 1 to 65535");
	refused("{\"op\":\"receive\",\"name\":\"a\",\"port\":\"7000\"}", "port: a whole number");
	refused("{\"op\":\"receive\",\"name\":\"a\",\"port\":70.5}", "port: a whole number");
	refused("{\"op\":\"receive\",\"name\":\"a\",\"port\":7000,\"shared_cores\":1}", "shared_cores: true or false");
	refused("{\"op\":\"stop\",\"name\":\"a\",\"timeout\":3601}", "timeout: a whole number from 0 to 3600");
	refused("{\"op\":\"stop\",\"name\":\"a\",\"timeout\":-1}", "timeout: a whole number");
	refused("{\"op\":\"migrate\",\"name\":\"a\",\"to\":\"b\",\"port\":1,\"deadline\":0}", "deadline: a whole number from 1");
	for (const char *const *bad = (const char *const[]){ "-host", "host-", "a..b", "a b", "host;rm", "[::1]", "", NULL };
	     *bad; bad++) {
		char line[256];

		snprintf(line, sizeof(line), "{\"op\":\"migrate\",\"name\":\"a\",\"to\":\"%s\",\"port\":7000}", *bad);
		refused(line, "to: a host name or a numeric IPv4 or IPv6 address");
	}
	for (const char *const *good = (const char *const[]){ "10.0.0.2", "::1", "fe80::1", "host2", "h-2.example.com", NULL };
	     *good; good++) {
		char line[256];

		snprintf(line, sizeof(line), "{\"op\":\"migrate\",\"name\":\"a\",\"to\":\"%s\",\"port\":7000}", *good);
		ck_assert_msg(parse(line) == 0, "%s refused: %s", *good, err);
		ck_assert_str_eq(req.to, *good);
	}
}
END_TEST

START_TEST(what_is_no_request_is_refused)
{
	char *huge = malloc(AGENT_REQUEST_MAX + 1);

	refused("not json", "not JSON");
	refused("[\"ping\"]", "a request is a JSON object");
	refused("{}", "no \"op\"");
	refused("{\"op\":7}", "no \"op\"");
	refused("{\"op\":\"reboot\"}", "unknown op 'reboot'");
	refused("{\"op\":\"ping\",\"op\":\"host\"}", "not JSON");
	refused("{\"op\":\"start\",\"name\":\"web\\u0000x\"}", "not JSON");
	memset(huge, ' ', AGENT_REQUEST_MAX);
	memcpy(huge, "{\"op\":\"ping\"}", 13);
	huge[AGENT_REQUEST_MAX] = '\0';
	refused(huge, "at most");
	free(huge);
}
END_TEST

/* A define request for name with this profile text, as the wire carries it. */
static int parse_define(const char *name, const char *text)
{
	json_t *object = json_pack("{s:s, s:s, s:s}", "op", "define", "name", name, "text", text);
	char *line = json_dumps(object, JSON_COMPACT);
	int ret = parse(line);

	free(line);
	json_decref(object);
	return ret;
}

START_TEST(a_definition_names_its_server_and_its_files_whole)
{
	char *big;

	ck_assert_int_eq(parse_define("web01", "# web\n[server]\nname = web01\nkernel = /images/vmlinuz\n"), 0);
	ck_assert_str_eq(req.name, "web01");
	ck_assert(!req.replace);
	ck_assert_int_eq(parse_define("web01", "[server]\nname = db01\nkernel = /images/vmlinuz\n"), -EINVAL);
	ck_assert_msg(strstr(err, "its [server] name is not 'web01'"), "%s", err);
	ck_assert_int_eq(parse_define("web01", "[server]\nkernel = /images/vmlinuz\n"), -EINVAL);
	ck_assert_int_eq(parse_define("web01", ""), -EINVAL);
	ck_assert_int_eq(parse_define("web01", "[server]\nname = web01\ninitrd = os.cpio\n"), -EINVAL);
	ck_assert_msg(strstr(err, "text:3: initrd = os.cpio: a relative path"), "%s", err);
	ck_assert_int_eq(parse_define("web01", "[server]\nname = web01\nfirmware = \"bios.bin\"\n"), -EINVAL);
	ck_assert_int_eq(parse_define("web01", "[server]\nname = web01\nname = web02\n"), -EINVAL);
	big = malloc(AGENT_DEFINITION_MAX + 64);
	snprintf(big, AGENT_DEFINITION_MAX + 64, "[server]\nname = web01\n#%*s\n", AGENT_DEFINITION_MAX, "");
	ck_assert_int_eq(parse_define("web01", big), -EINVAL);
	ck_assert_msg(strstr(err, "text: a string of at most"), "%s", err);
	free(big);
}
END_TEST

START_TEST(a_request_goes_on_the_wire_as_it_was_read)
{
	static const char *const lines[] = {
		"{\"op\":\"ping\"}",
		"{\"op\":\"stop\",\"name\":\"web01\",\"force\":true,\"timeout\":5}",
		"{\"op\":\"receive\",\"name\":\"web01b\",\"port\":7001,\"shared_cores\":true}",
		"{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"fe80::1\",\"port\":7001,\"deadline\":30}",
		"{\"op\":\"define\",\"name\":\"web01\",\"text\":\"[server]\\nname = web01\\n\",\"replace\":true}",
		NULL,
	};

	for (const char *const *line = lines; *line; line++) {
		struct agent_request *again = malloc(sizeof(*again));
		json_t *object;
		char *text;

		ck_assert_msg(parse(*line) == 0, "%s: %s", *line, err);
		object = agent_request_to_json(&req);
		text = json_dumps(object, JSON_COMPACT);
		ck_assert_int_eq(agent_request_parse(text, strlen(text), again, err, sizeof(err)), 0);
		ck_assert_msg(memcmp(again, &req, sizeof(req)) == 0, "%s came back different: %s", *line, text);
		free(text);
		free(again);
		json_decref(object);
	}
}
END_TEST

START_TEST(an_answer_comes_within_the_op_bound)
{
	ck_assert_int_eq(parse("{\"op\":\"ping\"}"), 0);
	ck_assert_uint_le(agent_request_deadline_s(&req), 10);
	ck_assert_int_eq(parse("{\"op\":\"stop\",\"name\":\"a\",\"timeout\":100}"), 0);
	ck_assert_uint_gt(agent_request_deadline_s(&req), 100);
	ck_assert_int_eq(parse("{\"op\":\"migrate\",\"name\":\"a\",\"to\":\"b\",\"port\":1,\"deadline\":900}"), 0);
	ck_assert_uint_gt(agent_request_deadline_s(&req), 900);
}
END_TEST

/* The argv of line's op, as one string. */
static const char *command_of(const char *line)
{
	static struct agent_argv argv;
	static char joined[4096];
	const struct agent_command_env env = { "/etc/sheer/agent", "[::]" };

	ck_assert_msg(parse(line) == 0, "%s: %s", line, err);
	ck_assert_int_eq(agent_command_argv(&req, &env, "/tmp/sheer-agent.x/web01.ini", &argv), 0);
	joined[0] = '\0';
	for (unsigned int i = 0; i < argv.n; i++)
		snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", i ? " " : "", argv.argv[i]);
	ck_assert_ptr_null(argv.argv[argv.n]);
	return joined;
}

START_TEST(each_op_is_one_fixed_command)
{
	ck_assert_str_eq(command_of("{\"op\":\"start\",\"name\":\"web01\"}"), "sheer start web01");
	ck_assert_str_eq(command_of("{\"op\":\"undefine\",\"name\":\"web01\"}"), "sheer undefine web01");
	ck_assert_str_eq(command_of("{\"op\":\"stop\",\"name\":\"web01\"}"), "sheer stop web01 --timeout 60");
	ck_assert_str_eq(command_of("{\"op\":\"stop\",\"name\":\"web01\",\"force\":true,\"timeout\":0}"),
			 "sheer stop web01 --timeout 0 --force");
	ck_assert_str_eq(command_of("{\"op\":\"define\",\"name\":\"web01\",\"text\":\"[server]\\nname=web01\\n\",\"replace\":true}"),
			 "sheer define --replace /tmp/sheer-agent.x/web01.ini");
	ck_assert_str_eq(command_of("{\"op\":\"receive\",\"name\":\"web01\",\"port\":7001}"),
			 "sheer receive --listen tcp:[::]:7001 --tls /etc/sheer/agent --name web01 --detach");
	ck_assert_str_eq(command_of("{\"op\":\"receive\",\"name\":\"web01\",\"port\":7001,\"shared_cores\":true}"),
			 "sheer receive --listen tcp:[::]:7001 --tls /etc/sheer/agent --name web01 --detach --shared-cores");
	ck_assert_str_eq(command_of("{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"fe80::1\",\"port\":7001}"),
			 "sheer migrate web01 --to tcp:[fe80::1]:7001 --tls /etc/sheer/agent --json --timeout 600");
	ck_assert_str_eq(command_of("{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"host2\",\"port\":7001,\"deadline\":60}"),
			 "sheer migrate web01 --to tcp:host2:7001 --tls /etc/sheer/agent --json --timeout 60");
}
END_TEST

START_TEST(ops_answered_in_the_agent_run_no_command)
{
	struct agent_argv argv;
	const struct agent_command_env env = { "/etc/sheer/agent", "127.0.0.1" };

	ck_assert_int_eq(parse("{\"op\":\"host\"}"), 0);
	ck_assert_int_eq(agent_command_argv(&req, &env, "", &argv), -EINVAL);
}
END_TEST

/* What the answer to line's request is worth, given as JSON text. */
static int check_answer(const char *line, const char *answer)
{
	json_t *object = json_loads(answer, 0, NULL);
	int ret;

	ck_assert_msg(parse(line) == 0, "%s: %s", line, err);
	ck_assert_msg(object != NULL, "test answer is not JSON: %s", answer);
	err[0] = '\0';
	ret = agent_response_check(&req, object, err, sizeof(err));
	json_decref(object);
	return ret;
}

static void answer_refused(const char *line, const char *answer, const char *why)
{
	ck_assert_msg(check_answer(line, answer) == -EBADMSG, "accepted: %s", answer);
	ck_assert_msg(strstr(err, why), "'%s': wanted '%s' in '%s'", answer, why, err);
}

#define PING "{\"op\":\"ping\"}"
#define HOST "{\"op\":\"host\"}"
#define HOST_HEAD "{\"ok\":true,\"op\":\"host\",\"host\":\"h1\",\"cpus_online\":8,\"memory_total_mib\":1000,"

START_TEST(a_client_takes_only_what_the_op_promises)
{
	ck_assert_int_eq(check_answer(PING, "{\"ok\":true,\"op\":\"ping\",\"host\":\"h1\",\"version\":\"0.1.0\","
					    "\"uptime_s\":5,\"agent_uptime_s\":1}"), 0);
	ck_assert_int_eq(check_answer(HOST, HOST_HEAD "\"memory_free_mib\":500,\"servers\":[{\"name\":\"web01\",\"state\":"
					    "\"running\",\"running\":true,\"vcpus\":2,\"memory_mib\":512,\"vcpu_seconds\":"
					    "1.5,\"devices\":[{\"pci\":\"0000:03:00.0\",\"id\":\"8086:10d3\"}]},{\"name\":"
					    "\"db01\",\"state\":\"stopped\",\"running\":false,\"vcpus\":1,\"memory_mib\":64,"
					    "\"devices\":[{\"pci\":\"0000:04:00.0\",\"id\":null}]}],\"free_devices\":[{\"pci\":"
					    "\"0000:05:00.0\",\"id\":\"144d:a808\",\"kind\":\"NVMe\",\"name\":\"Samsung\","
					    "\"numa_node\":0}]}"), 0);
	ck_assert_int_eq(check_answer("{\"op\":\"start\",\"name\":\"web01\"}", "{\"ok\":false,\"op\":\"start\","
				      "\"error\":\"web01: already running\",\"refused\":true,\"status\":2}"), 0);
	ck_assert_int_eq(check_answer("{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"h2\",\"port\":7000}",
				      "{\"ok\":true,\"op\":\"migrate\",\"name\":\"web01\",\"status\":0,\"result\":{}}"), 0);
}
END_TEST

START_TEST(a_client_refuses_what_an_agent_should_not_say)
{
	answer_refused(PING, "[]", "not a JSON object");
	answer_refused(PING, "{\"op\":\"ping\"}", "ok: not true or false");
	answer_refused(PING, "{\"ok\":true,\"op\":\"host\"}", "op: not the op asked");
	answer_refused(PING, "{\"ok\":true,\"op\":\"ping\",\"host\":\"h1\",\"version\":\"0.1\",\"uptime_s\":-1,"
			     "\"agent_uptime_s\":1}", "uptime_s: not a whole number in range");
	answer_refused(PING, "{\"ok\":true,\"op\":\"ping\",\"host\":\"h1\\u001b[2J\",\"version\":\"0.1\",\"uptime_s\":1,"
			     "\"agent_uptime_s\":1}", "host: not a clean string");
	answer_refused(PING, "{\"ok\":false,\"op\":\"ping\"}", "error: missing");
	answer_refused(PING, "{\"ok\":false,\"op\":\"ping\",\"error\":\"x\",\"status\":256}", "status: not a whole number");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":2000,\"servers\":[],\"free_devices\":[]}",
		       "memory_free_mib: not a whole number in range");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":[{\"name\":\"../x\",\"state\":\"running\","
				       "\"running\":true,\"vcpus\":1,\"memory_mib\":1,\"devices\":[]}],\"free_devices\":[]}",
		       "servers[0].name: not a server name");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":[{\"name\":\"a\",\"state\":\"hacked\","
				       "\"running\":true,\"vcpus\":1,\"memory_mib\":1,\"devices\":[]}],\"free_devices\":[]}",
		       "servers[0].state: not a state sheer knows");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":[{\"name\":\"a\",\"state\":\"running\","
				       "\"running\":true,\"vcpus\":65,\"memory_mib\":1,\"devices\":[]}],\"free_devices\":[]}",
		       "servers[0].vcpus: not a whole number in range");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":[{\"name\":\"a\",\"state\":\"running\","
				       "\"running\":true,\"vcpus\":1,\"memory_mib\":1,\"vcpu_seconds\":-3,\"devices\":[]}],"
				       "\"free_devices\":[]}", "servers[0].vcpu_seconds: not a number of seconds");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":[{\"name\":\"a\",\"state\":\"running\","
				       "\"running\":true,\"vcpus\":1,\"memory_mib\":1,\"devices\":[{\"pci\":\"03:00.0\","
				       "\"id\":null}]}],\"free_devices\":[]}", "devices[0].pci: not a PCI address");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":[],\"free_devices\":[{\"pci\":\"0000:05:00.0\","
				       "\"id\":\"+8086:10\",\"kind\":\"NIC\"}]}", "free_devices[0].id: not a vendor:device");
	answer_refused(HOST, HOST_HEAD "\"memory_free_mib\":5,\"servers\":{},\"free_devices\":[]}",
		       "servers: not a list");
	answer_refused("{\"op\":\"definition\",\"name\":\"web01\"}", "{\"ok\":true,\"op\":\"definition\",\"name\":\"db01\","
								    "\"text\":\"[server]\"}", "name: not the server asked about");
	answer_refused("{\"op\":\"start\",\"name\":\"web01\"}", "{\"ok\":true,\"op\":\"start\",\"name\":\"web01\","
							       "\"status\":1}", "status: not a whole number in range");
	answer_refused("{\"op\":\"migrate\",\"name\":\"web01\",\"to\":\"h2\",\"port\":7000}",
		       "{\"ok\":true,\"op\":\"migrate\",\"name\":\"web01\",\"status\":0,\"result\":[1]}", "result: not an object");
}
END_TEST

START_TEST(a_long_list_in_an_answer_is_refused)
{
	json_t *answer = json_loads(HOST_HEAD "\"memory_free_mib\":5,\"servers\":[],\"free_devices\":[]}", 0, NULL);
	json_t *list = json_object_get(answer, "servers");

	for (unsigned int i = 0; i <= AGENT_LIST_MAX; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:i, s:i, s:[]}", "name", "a", "state", "stopped",
						      "running", 0, "vcpus", 1, "memory_mib", 1, "devices"));
	ck_assert_int_eq(parse(HOST), 0);
	ck_assert_int_eq(agent_response_check(&req, answer, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(strstr(err, "servers: not a list of the expected length"), "%s", err);
	json_decref(answer);
}
END_TEST

START_TEST(command_output_is_made_safe_to_show)
{
	char text[] = "ok\n\x1b[2J\tdone\r\xc3\xa9";

	agent_exec_clean(text, true);
	ck_assert_str_eq(text, "ok\n?[2J\tdone???");
	agent_exec_clean(text, false);
	ck_assert_str_eq(text, "ok??[2J?done???");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *requests = tcase_create("requests");
	TCase *commands = tcase_create("commands");
	TCase *answers = tcase_create("answers");

	tcase_add_test(requests, each_op_takes_its_fields_and_no_others);
	tcase_add_test(requests, optional_fields_have_their_defaults);
	tcase_add_test(requests, names_ports_hosts_and_numbers_are_checked);
	tcase_add_test(requests, what_is_no_request_is_refused);
	tcase_add_test(requests, a_definition_names_its_server_and_its_files_whole);
	tcase_add_test(requests, a_request_goes_on_the_wire_as_it_was_read);
	tcase_add_test(requests, an_answer_comes_within_the_op_bound);
	tcase_add_test(commands, each_op_is_one_fixed_command);
	tcase_add_test(commands, ops_answered_in_the_agent_run_no_command);
	tcase_add_test(commands, command_output_is_made_safe_to_show);
	tcase_add_test(answers, a_client_takes_only_what_the_op_promises);
	tcase_add_test(answers, a_client_refuses_what_an_agent_should_not_say);
	tcase_add_test(answers, a_long_list_in_an_answer_is_refused);
	suite_add_tcase(s, requests);
	suite_add_tcase(s, commands);
	suite_add_tcase(s, answers);
	return s;
}
