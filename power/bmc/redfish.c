/*
 * Redfish over HTTPS (libcurl, jansson): the ComputerSystem's PowerState, its
 * Reset action, and a PATCH of its Boot override. The BMC's certificate is
 * always verified (against ca_file when given); answers are bounded in size
 * and parsed as JSON before any field is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "power/bmc/bmc_internal.h"

#define REDFISH_ANSWER_MAX (64 * 1024)

struct answer {
	char data[REDFISH_ANSWER_MAX + 1];
	size_t len;
	bool too_long;
};

static size_t answer_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct answer *a = userdata;
	size_t n = size * nmemb;

	if (n > REDFISH_ANSWER_MAX - a->len) {
		a->too_long = true;
		return 0;	/* makes curl fail the transfer */
	}
	memcpy(a->data + a->len, ptr, n);
	a->len += n;
	a->data[a->len] = '\0';
	return n;
}

/* ": MESSAGE" of a Redfish error body ({"error": {"message": ...}}), or "". */
void redfish_parse_error_message(const char *data, size_t len, char *out, size_t outlen)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *msg = json_string_value(json_object_get(json_object_get(root, "error"), "message"));

	snprintf(out, outlen, "%s%.120s", msg ? ": " : "", msg ? msg : "");
	/* A BMC's words reach a terminal and a JSON string: printable ASCII only. */
	for (char *c = out; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	json_decref(root);
}

/* system_itself: the request was for the ComputerSystem's own URL, so a 404 means no such system. */
static int redfish_status_error(long status, const struct answer *a, bool system_itself, const char *what, char *err,
				size_t errlen)
{
	char msg[128];

	if (status == 401 || status == 403) {
		snprintf(err, errlen, "%s: the BMC refused the credentials (HTTP %ld)", what, status);
		return -EACCES;
	}
	redfish_parse_error_message(a->data, a->len, msg, sizeof(msg));
	snprintf(err, errlen, "%s: HTTP %ld%s%s", what, status, system_itself && status == 404 ? " (no such system)" : "",
		 msg);
	return system_itself && status == 404 ? -ENOENT : -EIO;
}

static int redfish_curl_error(CURLcode code, const struct answer *a, const char *what, char *err, size_t errlen)
{
	if (a->too_long) {
		snprintf(err, errlen, "%s: the BMC's answer is longer than %d bytes", what, REDFISH_ANSWER_MAX);
		return -EPROTO;
	}
	if (code == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(err, errlen, "%s: the BMC's certificate did not verify (not signed by the CA given, or "
			 "not for this host name)", what);
	else
		snprintf(err, errlen, "%s: %s", what, code == CURLE_OPERATION_TIMEDOUT ? "the BMC did not answer"
											  : curl_easy_strerror(code));
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return -EACCES;
	default:
		return -EPROTO;
	}
}

/*
 * One request (method GET, POST or PATCH; body JSON or NULL) to PATH under the
 * system, asked again after a refused connection (a BMC rebooting), and a GET
 * also after a timeout.
 */
static int redfish_call(const struct bmc_target *t, const char *method, const char *path, const char *body,
			struct answer *a, const char *what, char *err, size_t errlen)
{
	char url[3 * BMC_FIELD_MAX + 64];
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *curl = curl_easy_init();
	CURLcode code = CURLE_FAILED_INIT;
	long status = 0;

	if (!curl || !headers) {
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
		snprintf(err, errlen, "%s: %s", what, strerror(ENOMEM));
		return -ENOMEM;
	}
	snprintf(url, sizeof(url), "https://%s:%u/redfish/v1/Systems/%s%s", t->host, t->port, t->system_id, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_USERNAME, t->user);
	curl_easy_setopt(curl, CURLOPT_PASSWORD, t->password);
	curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	if (t->ca_file[0])
		curl_easy_setopt(curl, CURLOPT_CAINFO, t->ca_file);
	if (body) {
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	}
	for (unsigned int attempt = 0; attempt <= t->retries; attempt++) {
		if (attempt)
			sleep(1);	/* a BMC restarting its web server takes a moment */
		a->len = 0, a->data[0] = '\0', a->too_long = false;
		code = curl_easy_perform(curl);
		/* A request that timed out may have been carried out: only a GET is asked again then. */
		if (code != CURLE_COULDNT_CONNECT && (code != CURLE_OPERATION_TIMEDOUT || strcmp(method, "GET")))
			break;
	}
	if (code == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (code == CURLE_OPERATION_TIMEDOUT && strcmp(method, "GET")) {
		snprintf(err, errlen, "%s: the BMC did not answer in time; it may have carried the request out (check "
			 "its power status)", what);
		return -ETIMEDOUT;
	}
	if (code != CURLE_OK)
		return redfish_curl_error(code, a, what, err, errlen);
	return status >= 200 && status < 300 ? 0 : redfish_status_error(status, a, path[0] == '\0', what, err, errlen);
}

/* A request whose answer only matters when it is an error. */
static int redfish_send(const struct bmc_target *t, const char *method, const char *path, const char *body,
			const char *what, char *err, size_t errlen)
{
	struct answer *a = malloc(sizeof(*a));
	int ret;

	if (!a) {
		snprintf(err, errlen, "%s: %s", what, strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = redfish_call(t, method, path, body, a, what, err, errlen);
	free(a);
	return ret;
}

/* A ComputerSystem's PowerState: on unless the BMC says Off (fencing relies on Off being said). */
int redfish_parse_power_state(const char *data, size_t len, bool *on)
{
	static const char *const known[] = { "On", "Off", "PoweringOn", "PoweringOff", "Paused" };
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *state = json_string_value(json_object_get(root, "PowerState"));
	int ret = -EPROTO;

	for (size_t i = 0; state && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(state, known[i]) == 0)
			ret = 0;
	if (ret == 0)
		*on = strcmp(state, "Off") != 0;
	json_decref(root);
	return ret;
}

static int redfish_power_state(const struct bmc_target *t, bool *on, char *err, size_t errlen)
{
	struct answer *a = malloc(sizeof(*a));
	int ret = a ? redfish_call(t, "GET", "", NULL, a, "Redfish power state", err, errlen) : -ENOMEM;

	if (!a)
		snprintf(err, errlen, "Redfish power state: %s", strerror(ENOMEM));
	else if (ret == 0 && (ret = redfish_parse_power_state(a->data, a->len, on)) < 0)
		snprintf(err, errlen, "Redfish power state: the BMC's answer has no PowerState Redfish knows");
	free(a);
	return ret;
}

static int redfish_power(const struct bmc_target *t, enum bmc_power_action action, char *err, size_t errlen)
{
	static const char *const reset_type[] = {
		[BMC_POWER_ON] = "On",
		[BMC_POWER_OFF] = "ForceOff",
		[BMC_POWER_SOFT] = "GracefulShutdown",
		[BMC_POWER_CYCLE] = "ForceRestart",
	};
	char body[64];

	snprintf(body, sizeof(body), "{\"ResetType\": \"%s\"}", reset_type[action]);
	return redfish_send(t, "POST", "/Actions/ComputerSystem.Reset", body, "Redfish reset", err, errlen);
}

static int redfish_set_boot_device(const struct bmc_target *t, enum bmc_boot_device device, bool persistent,
				   char *err, size_t errlen)
{
	char body[128];

	snprintf(body, sizeof(body),
		 "{\"Boot\": {\"BootSourceOverrideTarget\": \"%s\", \"BootSourceOverrideEnabled\": \"%s\"}}",
		 device == BMC_BOOT_PXE ? "Pxe" : "Hdd", persistent ? "Continuous" : "Once");
	return redfish_send(t, "PATCH", "", body, "Redfish boot override", err, errlen);
}

const struct bmc_ops bmc_redfish_ops = {
	.power_state = redfish_power_state,
	.power = redfish_power,
	.set_boot_device = redfish_set_boot_device,
};
