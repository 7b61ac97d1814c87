/* What arrives on a control socket: requests to the server, replies to the client. */
#include <jansson.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmm/server/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	enum control_command command;
	struct control_status status;
	char err[256];
	json_t *reply;

	control_request_decode((const char *)data, len, &command, err, sizeof(err));
	reply = json_loadb((const char *)data, len, 0, NULL);
	if (reply) {
		control_reply_check(reply, err, sizeof(err));
		control_status_from_json(reply, &status);
		json_decref(reply);
	}
	return 0;
}
